#include "config/json_to_toml.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "base/strings.h"

namespace atl::config {
namespace {

// Code point `cp` (below 0x110000, no lone surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
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

// A recursive-descent JSON reader that writes the same value as TOML (inline tables, arrays,
// basic strings). Depth is bounded.
class JsonToToml {
 public:
  explicit JsonToToml(std::string_view in, std::string_view label = "body") : in_(in), label_(label) {}

  absl::Status Fail(std::string_view what) {
    return absl::InvalidArgumentError(base::StrCat(label_, ": ", what, " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < in_.size() && in_[pos_] == c;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == in_.size();
  }

  // A JSON string, decoded to UTF-8.
  absl::Status String(std::string* out) {
    if (!Eat('"')) return Fail("expected a string");
    while (true) {
      if (pos_ >= in_.size()) return Fail("unterminated string");
      char c = in_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return Fail("unterminated string");
      char e = in_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Fail("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (pos_ + 1 < in_.size() && in_[pos_] == '\\' && in_[pos_ + 1] == 'u') {
              pos_ += 2;
              if (!Hex4(&low) || low < 0xDC00 || low >= 0xE000) return Fail("bad surrogate pair");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            cp = 0xFFFD;
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Fail("bad escape");
      }
    }
  }

  // Any JSON value, appended to `out` as TOML.
  absl::Status Value(std::string* out, int depth) {
    if (depth > 16) return Fail("nested too deeply");
    SkipSpace();
    if (pos_ >= in_.size()) return Fail("expected a value");
    char c = in_[pos_];
    if (c == '"') {
      std::string s;
      absl::Status st = String(&s);
      if (!st.ok()) return st;
      AppendTomlString(s, out);
      return absl::OkStatus();
    }
    if (c == '{') {
      ++pos_;
      out->append("{ ");
      bool first = true;
      if (!Eat('}')) {
        do {
          std::string key;
          absl::Status st = String(&key);
          if (!st.ok()) return st;
          if (!Eat(':')) return Fail("expected ':'");
          if (!first) out->append(", ");
          first = false;
          AppendTomlString(key, out);
          out->append(" = ");
          st = Value(out, depth + 1);
          if (!st.ok()) return st;
        } while (Eat(','));
        if (!Eat('}')) return Fail("expected ',' or '}'");
      }
      out->append(" }");
      return absl::OkStatus();
    }
    if (c == '[') {
      ++pos_;
      out->append("[");
      if (!Eat(']')) {
        bool first = true;
        do {
          if (!first) out->append(", ");
          first = false;
          absl::Status st = Value(out, depth + 1);
          if (!st.ok()) return st;
        } while (Eat(','));
        if (!Eat(']')) return Fail("expected ',' or ']'");
      }
      out->append("]");
      return absl::OkStatus();
    }
    for (std::string_view word : {"true", "false"}) {
      if (in_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        out->append(word);
        return absl::OkStatus();
      }
    }
    if (in_.substr(pos_, 4) == "null") return Fail("null is not a value here");
    size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() && (isdigit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '.' ||
                                 in_[pos_] == 'e' || in_[pos_] == 'E' || in_[pos_] == '+' || in_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) return Fail("unexpected character");
    out->append(in_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  // A deploy's `wasm` object: NAME -> "path relative to the deploy's folder", or
  // NAME -> {"base64": "...module bytes..."}.
  absl::Status WasmTable(std::vector<DeployWasm>* out) {
    if (!Eat('{')) return Fail("wasm: expected an object");
    if (Eat('}')) return absl::OkStatus();
    do {
      DeployWasm entry;
      absl::Status st = String(&entry.name);
      if (!st.ok()) return st;
      if (!Eat(':')) return Fail("expected ':'");
      if (Peek('"')) {
        st = String(&entry.path);
        if (!st.ok()) return st;
      } else if (Eat('{')) {
        std::string field, encoded;
        st = String(&field);
        if (!st.ok()) return st;
        if (field != "base64" || !Eat(':')) return Fail(base::StrCat("wasm.", entry.name, ": expected {\"base64\": ...}"));
        st = String(&encoded);
        if (!st.ok()) return st;
        if (!Eat('}')) return Fail("expected '}'");
        if (!absl::Base64Unescape(encoded, &entry.bytes)) {
          return absl::InvalidArgumentError(base::StrCat("wasm.", entry.name, ": not valid base64"));
        }
        entry.inline_bytes = true;
      } else {
        return Fail(base::StrCat("wasm.", entry.name, ": expected a path in the deploy's folder or {\"base64\": ...}"));
      }
      out->push_back(std::move(entry));
    } while (Eat(','));
    if (!Eat('}')) return Fail("expected ',' or '}'");
    return absl::OkStatus();
  }

 private:
  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > in_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      char h = in_[pos_++];
      *cp <<= 4;
      if (h >= '0' && h <= '9') *cp |= h - '0';
      else if (h >= 'a' && h <= 'f') *cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') *cp |= h - 'A' + 10;
      else return false;
    }
    return true;
  }
  std::string_view in_;
  std::string_view label_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::string> JsonValueToToml(std::string_view json, std::string_view label) {
  JsonToToml reader(json, label);
  std::string toml;
  if (absl::Status st = reader.Value(&toml, 0); !st.ok()) return st;
  if (!reader.AtEnd()) return reader.Fail("trailing bytes after the value");
  return toml;
}

void AppendTomlString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Every non-ASCII character as \uXXXX / \UXXXXXXXX: the TOML atoll writes is ASCII, which
      // toml++ 3.3.0 reads safely (config/toml_text.h). Bytes that are not UTF-8 stay as they are
      // (toml++ refuses them).
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      bool valid = n != 0 && i + n <= s.size();
      char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
      for (size_t k = 1; valid && k < n; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        valid = (cc & 0xC0) == 0x80;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (!valid) {
        out->push_back(static_cast<char>(c));
        continue;
      }
      char buffer[16];
      std::snprintf(buffer, sizeof(buffer), cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
      out->append(buffer);
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out->append(buffer);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

absl::StatusOr<std::string> TenantJsonToToml(std::string_view json, std::string* script,
                                             std::vector<std::string>* services, std::vector<DeployWasm>* wasm) {
  JsonToToml reader(json);
  std::string toml;
  bool have_script = false;
  if (!reader.Eat('{')) return reader.Fail("expected a JSON object");
  if (!reader.Eat('}')) {
    do {
      std::string key;
      absl::Status st = reader.String(&key);
      if (!st.ok()) return st;
      if (!reader.Eat(':')) return reader.Fail("expected ':'");
      if (key == "script") {
        script->clear();
        st = reader.String(script);
        if (!st.ok()) return st;
        have_script = true;
        continue;
      }
      if (key == "wasm") {
        // Not passed through: its paths are checked (Stage) before anything reads them.
        if (wasm == nullptr) return absl::InvalidArgumentError("body: \"wasm\" is not accepted here");
        st = reader.WasmTable(wasm);
        if (!st.ok()) return st;
        continue;
      }
      AppendTomlString(key, &toml);
      toml.append(" = ");
      size_t value_start = toml.size();
      st = reader.Value(&toml, 0);
      if (!st.ok()) return st;
      toml.push_back('\n');
      if (key == "services" && services != nullptr) {
        // The targets, for the stand-in tenants the config parser wants to see.
        std::string_view value(toml.data() + value_start, toml.size() - value_start);
        size_t at = 0;
        while ((at = value.find(" = \"", at)) != std::string_view::npos) {
          size_t end = value.find('"', at + 4);
          if (end == std::string_view::npos) break;
          services->emplace_back(value.substr(at + 4, end - at - 4));
          at = end;
        }
      }
    } while (reader.Eat(','));
    if (!reader.Eat('}')) return reader.Fail("expected ',' or '}'");
  }
  if (!reader.AtEnd()) return reader.Fail("trailing bytes after the object");
  if (!have_script) return absl::InvalidArgumentError("body: \"script\" (the script's source text) is required");
  return toml;
}

}  // namespace atl::config
