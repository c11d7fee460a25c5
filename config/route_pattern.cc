#include "config/route_pattern.h"

#include "base/strings.h"

namespace atl::config {
namespace {

constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

bool IsHostChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Checks `host` (already lower-cased, without any `*.` prefix): dot-separated labels of
// [a-z0-9-]. Returns an empty string when valid, else why not.
std::string HostProblem(std::string_view host) {
  if (host.empty()) return "the host is empty";
  if (host.size() > kMaxHostLength) return "the host is longer than 253 characters";
  size_t label = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0) return "the host has an empty label (a leading, trailing or doubled '.')";
      label = 0;
      continue;
    }
    char c = host[i];
    if (c == '*') return "'*' may only be the whole host or a \"*.\" prefix";
    if (c == ':') return "a port is not allowed (routes match any port)";
    if (!IsHostChar(c)) {
      return base::StrCat("the host may contain only letters, digits, '-' and '.', not '", c, "'");
    }
    if (++label > kMaxLabelLength) return "a host label is longer than 63 characters";
  }
  return {};
}

std::string PathProblem(std::string_view path) {
  if (path.empty() || path.front() != '/') return "the path must start with '/'";
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '*' && i + 1 != path.size()) return "'*' may only be the last character of the path";
    if (c == '?' || c == '#') return "the path may not contain a query or fragment";
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "the path may not contain spaces or control characters";
    }
  }
  return {};
}

}  // namespace

std::string RoutePattern::ToString() const {
  std::string_view host_prefix = host_kind == HostKind::kAny ? "*" : host_kind == HostKind::kSuffix ? "*." : "";
  std::string_view host_name = host_kind == HostKind::kAny ? std::string_view() : std::string_view(host);
  return base::StrCat(host_prefix, host_name, path, path_prefix ? "*" : "");
}

absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(base::StrCat("invalid route pattern \"", text, "\": ", why));
  };
  if (text.empty()) return invalid("the pattern is empty (write e.g. \"example.com/*\")");
  if (text.find("://") != std::string_view::npos) {
    return invalid("a scheme is not allowed (write \"example.com/*\", not \"https://example.com/*\")");
  }
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return invalid("a path is required (write e.g. \"example.com/*\")");
  }
  std::string_view host_text = text.substr(0, slash);
  std::string_view path_text = text.substr(slash);

  RoutePattern out;
  if (host_text == "*") {
    out.host_kind = RoutePattern::HostKind::kAny;
  } else {
    if (host_text.size() >= 2 && host_text.substr(0, 2) == "*.") {
      out.host_kind = RoutePattern::HostKind::kSuffix;
      host_text.remove_prefix(2);
    } else {
      out.host_kind = RoutePattern::HostKind::kExact;
    }
    out.host.reserve(host_text.size());
    for (char c : host_text) out.host.push_back(base::AsciiToLower(c));
    if (std::string why = HostProblem(out.host); !why.empty()) return invalid(why);
  }

  if (std::string why = PathProblem(path_text); !why.empty()) return invalid(why);
  if (path_text.back() == '*') {
    out.path_prefix = true;
    path_text.remove_suffix(1);
  }
  out.path = std::string(path_text);
  return out;
}

}  // namespace atl::config
