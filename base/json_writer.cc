#include "base/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "base/strings.h"

namespace atl::base {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c == 0xF4 && c1 > 0x8F) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonEscaped(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    // A run of characters that need no escaping goes in one append (the access log's fields
    // are mostly such a run).
    size_t clean = i;
    while (clean < text.size()) {
      unsigned char k = static_cast<unsigned char>(text[clean]);
      if (k < 0x20 || k >= 0x7f || k == '"' || k == '\\') break;
      ++clean;
    }
    if (clean > i) {
      out->append(text.data() + i, clean - i);
      i = clean;
      if (i == text.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out->append("\\\""); ++i; continue;
      case '\\': out->append("\\\\"); ++i; continue;
      case '\n': out->append("\\n"); ++i; continue;
      case '\r': out->append("\\r"); ++i; continue;
      case '\t': out->append("\\t"); ++i; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out->append("\xEF\xBF\xBD");
      ++i;
    } else {
      out->append(text.substr(i, n));
      i += n;
    }
  }
}

void JsonWriter::Separate() {
  if (need_comma_) out_->push_back(',');
  need_comma_ = true;
}

void JsonWriter::BeginObject() {
  Separate();
  out_->push_back('{');
  need_comma_ = false;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  Separate();
  out_->push_back('"');
  AppendJsonEscaped(key, out_);
  out_->append("\":");
  need_comma_ = false;
}

void JsonWriter::String(std::string_view value) {
  Separate();
  out_->push_back('"');
  AppendJsonEscaped(value, out_);
  out_->push_back('"');
}

void JsonWriter::Int(int64_t value) {
  Separate();
  base::StrAppend(out_, value);
}

void JsonWriter::Double(double value) {
  Separate();
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  // As printf's "%.3f", without its cost: an access log line has one of these per request.
  // Below 1e15 the value times 1000 is exact in x87's 64-bit-mantissa long double (a double's 53
  // bits and 1000's 10), so rounding that to an integer in the default mode (to nearest, ties to
  // even) is printf's exact rounding; the digits are the integer's. ~50 instructions instead of
  // to_chars' ~500 (callgrind).
  double magnitude = std::fabs(value);
  if (magnitude < 1e15) {
    static_assert(std::numeric_limits<long double>::digits >= 63, "the fast path needs x87's long double");
    auto thousandths = static_cast<uint64_t>(std::nearbyintl(static_cast<long double>(magnitude) * 1000.0L));
    char digits[24];
    char* end = digits + sizeof(digits);
    char* p = end;
    uint64_t whole = thousandths / 1000;
    uint32_t fraction = static_cast<uint32_t>(thousandths % 1000);
    *--p = static_cast<char>('0' + fraction % 10);
    *--p = static_cast<char>('0' + fraction / 10 % 10);
    *--p = static_cast<char>('0' + fraction / 100);
    *--p = '.';
    do {
      *--p = static_cast<char>('0' + whole % 10);
      whole /= 10;
    } while (whole != 0);
    if (std::signbit(value)) *--p = '-';
    out_->append(p, static_cast<size_t>(end - p));
    return;
  }
  // std::to_chars promises printf's digits.
  char buf[32];
  auto [end, error] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, 3);
  if (error == std::errc()) {
    out_->append(buf, static_cast<size_t>(end - buf));
    return;
  }
  char big[320];
  int n = std::snprintf(big, sizeof(big), "%.3f", value);
  out_->append(big, static_cast<size_t>(std::min(n, static_cast<int>(sizeof(big)) - 1)));
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_->append(value ? "true" : "false");
}

}  // namespace atl::base
