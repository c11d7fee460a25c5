#pragma once
// Maps a request's Host and path to the target (a tenant index) of the most specific route
// pattern (SPEC §2): exact host over `*.suffix` (longer suffix first) over `*`; if the chosen host
// has no matching path, the next less specific host is tried. Among the paths of one host an
// exact path beats a prefix, a longer prefix beats a shorter one.
//
// Lookup cost does not grow with the number of routes: hash lookups per host label suffix and
// per distinct prefix length, and no allocation.
//
//   Router router;
//   router.Add(*config::ParseRoutePattern("*.example.com/api/*"), 7);
//   std::optional<uint32_t> target = router.Match("a.Example.com:8080", "/api/users");  // 7

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "config/route_pattern.h"

namespace atl::server {

class Router {
 public:
  // Same pattern (same canonical text) twice: AlreadyExists.
  absl::Status Add(const config::RoutePattern& pattern, uint32_t target);

  // The most specific match: host is the Host header (any case, may carry ":port" or be an IPv6
  // literal "[::1]:8080"), path is the request path without the query. nullopt when nothing
  // matches; hosts longer than 255 bytes never match.
  std::optional<uint32_t> Match(std::string_view host, std::string_view path) const;

  size_t size() const { return size_; }

 private:
  // std::string keys looked up by std::string_view without a temporary string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  template <typename V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  // The path patterns of one host pattern.
  struct Paths {
    Map<uint32_t> exact;
    Map<uint32_t> prefixes;
    std::vector<size_t> prefix_lengths;  // distinct, longest first

    std::optional<uint32_t> Match(std::string_view path) const;
  };

  Paths* PathsFor(const config::RoutePattern& pattern);

  Map<std::unique_ptr<Paths>> exact_hosts_;
  Map<std::unique_ptr<Paths>> suffix_hosts_;  // "example.com" for "*.example.com"
  std::unique_ptr<Paths> any_host_;
  size_t size_ = 0;
};

}  // namespace atl::server
