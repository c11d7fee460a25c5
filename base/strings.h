#pragma once
// String helpers over std::string_view. Debian's abseil is built with its own absl::string_view
// (not an alias of std::string_view), so absl::StrCat and friends do not take std::string_view;
// these do, and ToStd() bridges absl::Status messages.
//
//   std::string s = StrCat("port ", 8080, " on ", host_view);

#include <charconv>
#include <string>
#include <string_view>
#include <vector>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace atl::base {

inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace internal {
template <typename T>
void AppendOne(std::string* out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out->append(value ? "true" : "false");
  } else if constexpr (std::is_same_v<T, char>) {
    out->push_back(value);
  } else if constexpr (std::is_integral_v<T>) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, end);
  } else if constexpr (std::is_same_v<T, absl::string_view>) {
    out->append(value.data(), value.size());
  } else {
    out->append(std::string_view(value));
  }
}
}  // namespace internal

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (internal::AppendOne(out, args), ...);
}

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  StrAppend(&out, args...);
  return out;
}

inline char AsciiToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

inline std::string_view StripAsciiWhitespace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The pieces of `s` between each `separator` (an empty `s` is one empty piece).
inline std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  for (size_t at; (at = s.find(separator, start)) != std::string_view::npos; start = at + 1) {
    pieces.push_back(s.substr(start, at - start));
  }
  pieces.push_back(s.substr(start));
  return pieces;
}

// The runs of `s` between spaces and tabs ("a  b\tc" -> a, b, c).
inline std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// Parses all of `s` as a base-10 unsigned number.
template <typename T>
bool ParseUnsigned(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The path of an absolute URL "scheme://host/path?query" (or of "/path?query"), without the
// query; "/" when there is none.
inline std::string_view UrlPath(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (start == std::string_view::npos) return "/";
  std::string_view path = url.substr(start);
  return path.substr(0, path.find('?'));
}

}  // namespace atl::base
