#pragma once
// The SSRF guard of outbound fetch() (SPEC §3: "outbound fetch only to allowed hosts, never to
// loopback, link-local or private ranges unless listed"). Pure functions: they classify an
// address or match a host against a tenant's `outbound` list, and never open a connection.
// The fetch client (http_client.h) checks every address DNS gave, and connects only to one
// these allow.
//
//   AddressRule rule = ClassifyAddress(sockaddr_of_resolved_address);
//   if (rule != AddressRule::kPublic && !OutboundAllows(tenant.outbound, host, port)) refuse(RuleText(rule));

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace atl::server {

// What an address is, as far as the guard cares; everything but kPublic is refused unless the
// host is listed in `outbound`.
enum class AddressRule {
  kPublic,
  kLoopback,      // 127/8, ::1
  kPrivate,       // 10/8, 172.16/12, 192.168/16 (RFC 1918)
  kLinkLocal,     // 169.254/16 (incl. the cloud metadata address 169.254.169.254), fe80::/10
  kSharedCgnat,   // 100.64/10 (RFC 6598)
  kMulticast,     // 224/4, ff00::/8
  kUnspecified,   // 0/8, ::
  kBroadcast,     // 255.255.255.255
  kReserved,      // 192.0.0/24, documentation and benchmarking ranges, 240/4, fec0::/10, 2001:db8::/32, 100::/64
  kUniqueLocal,   // fc00::/7
};

// "loopback address", "private address", ... as a refusal message names it.
std::string_view RuleText(AddressRule rule);

// `address` in host byte order (127.0.0.1 = 0x7f000001).
AddressRule ClassifyIPv4(uint32_t address);
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) addresses are classified by the IPv4 address inside them.
AddressRule ClassifyIPv6(const uint8_t (&address)[16]);
// AF_INET or AF_INET6; any other family is kReserved.
AddressRule ClassifyAddress(const sockaddr* address);
// A literal IPv4 or IPv6 address (with or without brackets); false if `text` is not one.
bool ClassifyLiteral(std::string_view text, AddressRule* rule);

// The address a literal host names (IPv4, or IPv6 with or without brackets) on `port`, and its
// rule; false if `host` is not a literal.
bool LiteralAddress(std::string_view host, uint16_t port, sockaddr_storage* address, AddressRule* rule);

// The guard's choice among the addresses DNS gave for a host: the first one allowed (public, or
// any when the host is `listed` in outbound), so that a name resolving to a public and a private
// address cannot be steered to the private one; else the first one refused, to name it.
struct AddressChoice {
  const addrinfo* chosen = nullptr;
  AddressRule chosen_rule = AddressRule::kPublic;
  const addrinfo* refused = nullptr;
  AddressRule refused_rule = AddressRule::kPublic;
};
AddressChoice ChooseAddress(const addrinfo* resolved, bool listed);

// "127.0.0.1", "::1" (no brackets, no port); "?" for another family.
std::string AddressText(const sockaddr* address);

// Whether `host` (lower-case; an IPv6 literal in brackets) on `port` matches one of the tenant's
// `outbound` patterns (config.h: `api.example.com`, `*.trusted.net` = any subdomain,
// `127.0.0.1:9000`, `[::1]:8080`; a pattern without a port matches every port).
bool OutboundAllows(std::span<const std::string> patterns, std::string_view host, uint16_t port);

}  // namespace atl::server
