#include "server/router.h"

#include <algorithm>

#include "base/strings.h"

namespace atl::server {
namespace {

constexpr size_t kMaxHost = 255;

// The Host header without its port, bracketed IPv6 literals kept whole ("[::1]").
std::string_view StripPort(std::string_view host, bool* ipv6) {
  *ipv6 = false;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return host;
    *ipv6 = true;
    return host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) host = host.substr(0, colon);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com." is example.com
  return host;
}

}  // namespace

std::optional<uint32_t> Router::Paths::Match(std::string_view path) const {
  if (!exact.empty()) {
    if (auto it = exact.find(path); it != exact.end()) return it->second;
  }
  for (size_t length : prefix_lengths) {
    if (length > path.size()) continue;
    if (auto it = prefixes.find(path.substr(0, length)); it != prefixes.end()) return it->second;
  }
  return std::nullopt;
}

Router::Paths* Router::PathsFor(const config::RoutePattern& pattern) {
  std::unique_ptr<Paths>* slot;
  switch (pattern.host_kind) {
    case config::RoutePattern::HostKind::kExact: slot = &exact_hosts_[pattern.host]; break;
    case config::RoutePattern::HostKind::kSuffix: slot = &suffix_hosts_[pattern.host]; break;
    default: slot = &any_host_; break;
  }
  if (*slot == nullptr) *slot = std::make_unique<Paths>();
  return slot->get();
}

absl::Status Router::Add(const config::RoutePattern& pattern, uint32_t target) {
  Paths* paths = PathsFor(pattern);
  Map<uint32_t>& map = pattern.path_prefix ? paths->prefixes : paths->exact;
  if (!map.emplace(pattern.path, target).second) {
    return absl::AlreadyExistsError(base::StrCat("route \"", pattern.ToString(), "\" is already taken"));
  }
  if (pattern.path_prefix) {
    std::vector<size_t>& lengths = paths->prefix_lengths;
    size_t length = pattern.path.size();
    auto at = std::lower_bound(lengths.begin(), lengths.end(), length, std::greater<>());
    if (at == lengths.end() || *at != length) lengths.insert(at, length);
  }
  ++size_;
  return absl::OkStatus();
}

std::optional<uint32_t> Router::Match(std::string_view host_header, std::string_view path) const {
  bool ipv6;
  std::string_view raw = StripPort(host_header, &ipv6);
  if (raw.size() > kMaxHost) return std::nullopt;
  char buf[kMaxHost];
  for (size_t i = 0; i < raw.size(); ++i) buf[i] = base::AsciiToLower(raw[i]);
  std::string_view host(buf, raw.size());

  if (!exact_hosts_.empty()) {
    if (auto it = exact_hosts_.find(host); it != exact_hosts_.end()) {
      if (std::optional<uint32_t> target = it->second->Match(path)) return target;
    }
  }
  if (!suffix_hosts_.empty() && !ipv6) {
    // "a.b.example.com" probes "b.example.com", "example.com", "com": longest suffix first.
    for (size_t dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
      if (auto it = suffix_hosts_.find(host.substr(dot + 1)); it != suffix_hosts_.end()) {
        if (std::optional<uint32_t> target = it->second->Match(path)) return target;
      }
    }
  }
  if (any_host_ != nullptr) return any_host_->Match(path);
  return std::nullopt;
}

}  // namespace atl::server
