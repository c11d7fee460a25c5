#include "base/json_reader.h"

#include <cstdlib>

#include "base/strings.h"

namespace atl::base {
namespace {

constexpr int kMaxDepth = 64;

class Reader {
 public:
  Reader(std::string_view text, std::string_view label) : s_(text), label_(label) {}

  absl::Status Value(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return Fail("too deeply nested");
    Space();
    if (i_ >= s_.size()) return Fail("unexpected end");
    size_t start = i_;
    char c = s_[i_];
    absl::Status st;
    if (c == '{') {
      st = Object(out, depth);
    } else if (c == '[') {
      st = Array(out, depth);
    } else if (c == '"') {
      out->type = JsonValue::Type::kString;
      st = String(&out->text);
    } else if (Word("true")) {
      out->type = JsonValue::Type::kBool;
      out->boolean = true;
    } else if (Word("false")) {
      out->type = JsonValue::Type::kBool;
    } else if (Word("null")) {
      out->type = JsonValue::Type::kNull;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      out->type = JsonValue::Type::kNumber;
      while (i_ < s_.size() && (std::string_view("+-.eE").find(s_[i_]) != std::string_view::npos || (s_[i_] >= '0' && s_[i_] <= '9'))) ++i_;
      out->text = std::string(s_.substr(start, i_ - start));
    } else {
      return Fail("unexpected character");
    }
    if (!st.ok()) return st;
    out->raw = s_.substr(start, i_ - start);
    return absl::OkStatus();
  }

  absl::Status End() {
    Space();
    return i_ == s_.size() ? absl::OkStatus() : Fail("text after the value");
  }

 private:
  absl::Status Fail(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(label_, ": ", what, " at offset ", i_));
  }
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  absl::Status Object(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kObject;
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return absl::OkStatus();
    }
    while (true) {
      Space();
      if (i_ >= s_.size() || s_[i_] != '"') return Fail("expected a key");
      std::string key;
      if (absl::Status st = String(&key); !st.ok()) return st;
      Space();
      if (i_ >= s_.size() || s_[i_] != ':') return Fail("expected ':'");
      ++i_;
      JsonValue value;
      if (absl::Status st = Value(&value, depth + 1); !st.ok()) return st;
      out->members.push_back(JsonMember{std::move(key), std::move(value)});
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return absl::OkStatus();
      }
      return Fail("expected ',' or '}'");
    }
  }
  absl::Status Array(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kArray;
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return absl::OkStatus();
    }
    while (true) {
      JsonValue value;
      if (absl::Status st = Value(&value, depth + 1); !st.ok()) return st;
      out->items.push_back(std::move(value));
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return absl::OkStatus();
      }
      return Fail("expected ',' or ']'");
    }
  }
  bool Hex4(uint32_t* out) {
    if (i_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    *out = v;
    return true;
  }
  static void Utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  absl::Status String(std::string* out) {
    ++i_;  // the opening quote
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in a string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Fail("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            size_t save = i_;
            i_ += 2;
            uint32_t low = 0;
            if (Hex4(&low) && low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              i_ = save;
            }
          }
          if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;  // a lone surrogate: not UTF-8, as TextDecoder
          Utf8(cp, out);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  std::string_view s_;
  std::string_view label_;
  size_t i_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Get(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

int64_t JsonValue::Int() const {
  if (type != Type::kNumber && type != Type::kString) return 0;
  return std::strtoll(text.c_str(), nullptr, 10);
}

absl::StatusOr<JsonValue> ParseJson(std::string_view text, std::string_view label) {
  Reader reader(text, label);
  JsonValue value;
  if (absl::Status st = reader.Value(&value, 0); !st.ok()) return st;
  if (absl::Status st = reader.End(); !st.ok()) return st;
  return value;
}

}  // namespace atl::base
