#pragma once
// A Cloudflare-style route pattern, `host/path`, as written in a tenant's `routes` (SPEC §2):
//   "hello.example.com/*"   exact host, every path
//   "*.example.com/api/*"   any subdomain of example.com (not the apex), paths under /api/
//   "*/hello/*"             any host, paths under /hello/
//   "example.com/health"    exact host, exactly /health
// `*` may appear only as the whole host, as a `*.` host prefix, and as the last character of
// the path. Hosts are lower-cased; a port in the pattern is an error.
//
//   absl::StatusOr<RoutePattern> p = ParseRoutePattern("*.example.com/api/*");

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::config {

struct RoutePattern {
  enum class HostKind { kExact, kSuffix, kAny };
  HostKind host_kind = HostKind::kAny;
  std::string host;        // kExact: "example.com"; kSuffix: "example.com" (from "*.example.com"); kAny: ""
  std::string path;        // starts with '/'; for a prefix, without the trailing '*' ("/api/")
  bool path_prefix = false;

  // The canonical text ("*.example.com/api/*"); two patterns conflict when these are equal.
  std::string ToString() const;
  bool operator==(const RoutePattern&) const = default;
};

absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view text);

}  // namespace atl::config
