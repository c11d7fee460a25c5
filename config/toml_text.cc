// AsciiTomlText (toml_text.h): a small TOML lexer (strings and comments, nothing else) that
// rewrites non-ASCII characters into escapes before toml++ sees them.
#include "config/toml_text.h"

#include <cstdio>

#include "base/strings.h"

namespace atl::config {
namespace {

class Rewriter {
 public:
  Rewriter(std::string_view text, std::string_view label) : text_(text), label_(label) {}

  absl::StatusOr<std::string> Run() {
    out_.reserve(text_.size() + 16);
    if (At("\xEF\xBB\xBF")) i_ = 3;  // a byte order mark (toml++ skips it too)
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') Copy(NonAscii(text_[i_]) ? Skip() : text_[i_]);
      } else if (At("\"\"\"")) {
        if (absl::Status s = Basic("\"\"\""); !s.ok()) return s;
      } else if (c == '"') {
        if (absl::Status s = Basic("\""); !s.ok()) return s;
      } else if (At("'''")) {
        if (absl::Status s = Literal("'''"); !s.ok()) return s;
      } else if (c == '\'') {
        if (absl::Status s = Literal("'"); !s.ok()) return s;
      } else if (NonAscii(c)) {
        return Refuse("a non-ASCII character outside a string");
      } else {
        Copy(c);
      }
    }
    return std::move(out_);
  }

 private:
  static bool NonAscii(char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }
  bool At(std::string_view s) const { return text_.substr(i_, s.size()) == s; }
  void Copy(char c) {
    out_.push_back(c);
    Step();
  }
  void Step() {
    if (text_[i_] == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(text_[i_]) & 0xC0) != 0x80) {
      ++column_;
    }
    ++i_;
  }
  // A comment's non-ASCII character: one '?' for the whole UTF-8 sequence.
  char Skip() {
    while (i_ + 1 < text_.size() && (static_cast<unsigned char>(text_[i_ + 1]) & 0xC0) == 0x80) Step();
    return '?';
  }
  absl::Status Refuse(std::string_view what) const {
    return absl::InvalidArgumentError(base::StrCat(label_, ":", line_, ":", column_, ": ", what,
                                                   " (TOML is read as ASCII outside basic strings and comments: "
                                                   "in a \"basic string\" any UTF-8 or \\uXXXX is fine)"));
  }

  // The UTF-8 sequence at i_ as an escape, or an error for bytes that are not UTF-8.
  absl::Status Escape() {
    unsigned char c = static_cast<unsigned char>(text_[i_]);
    size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    bool valid = n != 0 && i_ + n <= text_.size();
    char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; valid && k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(text_[i_ + k]);
      valid = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!valid || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) {
      return Refuse("bytes that are not UTF-8");
    }
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
    out_ += buffer;
    for (size_t k = 0; k < n; ++k) Step();
    return absl::OkStatus();
  }

  // From the opening delimiter to after the closing one (or the end of the line for "...").
  absl::Status Basic(std::string_view quote) {
    bool multi = quote.size() == 3;
    for (size_t k = 0; k < quote.size(); ++k) Copy(text_[i_]);
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (!multi && c == '\n') return absl::OkStatus();  // unterminated: toml++ says so
      if (At(quote)) {
        for (size_t k = 0; k < quote.size(); ++k) Copy(text_[i_]);
        return absl::OkStatus();
      }
      if (c == '\\') {
        Copy(c);
        if (i_ < text_.size() && NonAscii(text_[i_])) return Refuse("a non-ASCII character after a backslash");
        if (i_ < text_.size() && text_[i_] != '\n') Copy(text_[i_]);
        continue;
      }
      if (NonAscii(c)) {
        if (absl::Status s = Escape(); !s.ok()) return s;
        continue;
      }
      Copy(c);
    }
    return absl::OkStatus();
  }

  absl::Status Literal(std::string_view quote) {
    bool multi = quote.size() == 3;
    for (size_t k = 0; k < quote.size(); ++k) Copy(text_[i_]);
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (!multi && c == '\n') return absl::OkStatus();
      if (At(quote)) {
        for (size_t k = 0; k < quote.size(); ++k) Copy(text_[i_]);
        return absl::OkStatus();
      }
      if (NonAscii(c)) return Refuse("a non-ASCII character in a 'literal string'");
      Copy(c);
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  std::string_view label_;
  std::string out_;
  size_t i_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

absl::StatusOr<std::string> AsciiTomlText(std::string_view text, std::string_view label) {
  bool ascii = true;
  for (char c : text) ascii = ascii && (static_cast<unsigned char>(c) & 0x80) == 0;
  if (ascii) return std::string(text);
  return Rewriter(text, label).Run();
}

}  // namespace atl::config
