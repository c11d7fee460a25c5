#pragma once
// A listener address as written on the command line or in config: "127.0.0.1:8080",
// "[::1]:8080", "localhost:8080" (localhost means 127.0.0.1; no DNS at startup).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::config {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6, without brackets
  uint16_t port = 0;
  bool ipv6 = false;

  std::string ToString() const;
};

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace atl::config
