#include "config/listen_address.h"

#include <arpa/inet.h>

#include "base/strings.h"
#include "base/strings.h"

namespace atl::config {

std::string ListenAddress::ToString() const {
  return ipv6 ? base::StrCat("[", host, "]:", port) : base::StrCat(host, ":", port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(base::StrCat("invalid listen address \"", text, "\": ", why));
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid("expected [IPv6]:PORT");
    }
    out.host = std::string(text.substr(1, close - 1));
    out.ipv6 = true;
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("expected HOST:PORT");
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  unsigned char buf[16];
  if (inet_pton(out.ipv6 ? AF_INET6 : AF_INET, out.host.c_str(), buf) != 1) {
    return invalid("host must be a numeric IPv4 address, [IPv6] or localhost");
  }
  uint32_t port;
  if (!base::ParseUnsigned(port_text, &port) || port > 65535) return invalid("port must be 0-65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace atl::config
