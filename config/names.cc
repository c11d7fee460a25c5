#include "config/names.h"

namespace atl::config {

bool MatchesName(std::string_view s, bool allow_underscore) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (allow_underscore && c == '_');
    if (!ok) return false;
  }
  return true;
}

namespace {

// [A-Za-z_][A-Za-z0-9_]*, with '$' anywhere too when `allow_dollar`.
bool IsIdentifier(std::string_view s, bool allow_dollar) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_dollar && c == '$') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// A binding name becomes a property of `env`: a JavaScript identifier (as Wrangler requires).
bool IsBindingName(std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "__proto__") return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) { return IsIdentifier(s, false); }

}  // namespace atl::config
