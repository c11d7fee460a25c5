#include "server/ssrf_guard.h"

#include <arpa/inet.h>

#include <cstring>

namespace atl::server {
namespace {

bool InV4(uint32_t address, uint32_t network, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (address & mask) == network;
}

uint32_t V4At(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The canonical text of an IPv6 literal (inet_ntop), or `text` unchanged if it is not one.
std::string CanonicalHost(std::string_view text) {
  std::string_view inner = text;
  if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
  std::string copy(inner);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (copy.find(':') != std::string::npos && inet_pton(AF_INET6, copy.c_str(), buf) == 1 &&
      inet_ntop(AF_INET6, buf, out, sizeof out) != nullptr) {
    return std::string(out);
  }
  return std::string(text);
}

}  // namespace

std::string_view RuleText(AddressRule rule) {
  switch (rule) {
    case AddressRule::kPublic: return "public address";
    case AddressRule::kLoopback: return "loopback address";
    case AddressRule::kPrivate: return "private address";
    case AddressRule::kLinkLocal: return "link-local address";
    case AddressRule::kSharedCgnat: return "shared (CGNAT) address";
    case AddressRule::kMulticast: return "multicast address";
    case AddressRule::kUnspecified: return "unspecified address";
    case AddressRule::kBroadcast: return "broadcast address";
    case AddressRule::kReserved: return "reserved address";
    case AddressRule::kUniqueLocal: return "unique local address";
  }
  return "reserved address";
}

AddressRule ClassifyIPv4(uint32_t a) {
  if (a == 0xffffffffu) return AddressRule::kBroadcast;
  if (InV4(a, 0x00000000, 8)) return AddressRule::kUnspecified;     // 0.0.0.0/8 "this network"
  if (InV4(a, 0x7f000000, 8)) return AddressRule::kLoopback;        // 127/8
  if (InV4(a, 0x0a000000, 8) || InV4(a, 0xac100000, 12) || InV4(a, 0xc0a80000, 16)) return AddressRule::kPrivate;
  if (InV4(a, 0xa9fe0000, 16)) return AddressRule::kLinkLocal;      // 169.254/16
  if (InV4(a, 0x64400000, 10)) return AddressRule::kSharedCgnat;    // 100.64/10
  if (InV4(a, 0xe0000000, 4)) return AddressRule::kMulticast;       // 224/4
  if (InV4(a, 0xf0000000, 4) ||                                     // 240/4 (future use)
      InV4(a, 0xc0000000, 24) ||                                    // 192.0.0/24 IETF protocol assignments
      InV4(a, 0xc0000200, 24) ||                                    // 192.0.2/24 TEST-NET-1
      InV4(a, 0xc0586300, 24) ||                                    // 192.88.99/24 6to4 relay anycast
      InV4(a, 0xc6120000, 15) ||                                    // 198.18/15 benchmarking
      InV4(a, 0xc6336400, 24) ||                                    // 198.51.100/24 TEST-NET-2
      InV4(a, 0xcb007100, 24)) {                                    // 203.0.113/24 TEST-NET-3
    return AddressRule::kReserved;
  }
  return AddressRule::kPublic;
}

AddressRule ClassifyIPv6(const uint8_t (&p)[16]) {
  static constexpr uint8_t kZero[16] = {};
  bool first80_zero = std::memcmp(p, kZero, 10) == 0;
  if (first80_zero && p[10] == 0xff && p[11] == 0xff) return ClassifyIPv4(V4At(p + 12));  // ::ffff:a.b.c.d
  if (first80_zero && p[10] == 0 && p[11] == 0) {
    if (std::memcmp(p, kZero, 16) == 0) return AddressRule::kUnspecified;                  // ::
    if (std::memcmp(p, kZero, 15) == 0 && p[15] == 1) return AddressRule::kLoopback;       // ::1
    return ClassifyIPv4(V4At(p + 12));                                                     // ::a.b.c.d
  }
  if (p[0] == 0x00 && p[1] == 0x64 && p[2] == 0xff && p[3] == 0x9b && std::memcmp(p + 4, kZero, 8) == 0) {
    return ClassifyIPv4(V4At(p + 12));  // 64:ff9b::/96 NAT64
  }
  if (p[0] == 0x20 && p[1] == 0x02) return ClassifyIPv4(V4At(p + 2));  // 2002::/16 6to4
  if ((p[0] & 0xfe) == 0xfc) return AddressRule::kUniqueLocal;        // fc00::/7
  if (p[0] == 0xfe && (p[1] & 0xc0) == 0x80) return AddressRule::kLinkLocal;  // fe80::/10
  if (p[0] == 0xfe && (p[1] & 0xc0) == 0xc0) return AddressRule::kReserved;   // fec0::/10 site-local
  if (p[0] == 0xff) return AddressRule::kMulticast;                           // ff00::/8
  if (p[0] == 0x20 && p[1] == 0x01 && p[2] == 0x0d && p[3] == 0xb8) return AddressRule::kReserved;  // 2001:db8::/32
  if (p[0] == 0x01 && p[1] == 0x00 && std::memcmp(p + 2, kZero, 6) == 0) return AddressRule::kReserved;  // 100::/64
  return AddressRule::kPublic;
}

AddressRule ClassifyAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return ClassifyIPv4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    uint8_t bytes[16];
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return ClassifyIPv6(bytes);
  }
  return AddressRule::kReserved;
}

bool ClassifyLiteral(std::string_view text, AddressRule* rule) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::string copy(text);
  uint8_t v6[16];
  in_addr v4;
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    *rule = ClassifyIPv4(ntohl(v4.s_addr));
    return true;
  }
  if (inet_pton(AF_INET6, copy.c_str(), v6) == 1) {
    *rule = ClassifyIPv6(v6);
    return true;
  }
  return false;
}

bool LiteralAddress(std::string_view host, uint16_t port, sockaddr_storage* address, AddressRule* rule) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string copy(host);
  *address = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(address);
  if (inet_pton(AF_INET, copy.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *rule = ClassifyAddress(reinterpret_cast<const sockaddr*>(address));
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
  if (inet_pton(AF_INET6, copy.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *rule = ClassifyAddress(reinterpret_cast<const sockaddr*>(address));
    return true;
  }
  return false;
}

AddressChoice ChooseAddress(const addrinfo* resolved, bool listed) {
  AddressChoice choice;
  for (const addrinfo* ai = resolved; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    AddressRule rule = ClassifyAddress(ai->ai_addr);
    if (rule == AddressRule::kPublic || listed) {
      if (choice.chosen == nullptr) {
        choice.chosen = ai;
        choice.chosen_rule = rule;
      }
    } else if (choice.refused == nullptr) {
      choice.refused = ai;
      choice.refused_rule = rule;
    }
  }
  return choice;
}

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

bool OutboundAllows(std::span<const std::string> patterns, std::string_view host, uint16_t port) {
  std::string canonical = CanonicalHost(host);
  for (const std::string& pattern : patterns) {
    std::string_view name = pattern;
    std::string_view port_text;
    if (!name.empty() && name.front() == '[') {
      size_t close = name.find(']');
      if (close == std::string_view::npos) continue;
      if (close + 1 < name.size() && name[close + 1] == ':') port_text = name.substr(close + 2);
      name = name.substr(0, close + 1);
    } else if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
      port_text = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (!port_text.empty() && port_text != std::to_string(port)) continue;
    if (name.size() > 2 && name.substr(0, 2) == "*.") {
      std::string_view suffix = name.substr(1);  // ".trusted.net": subdomains only
      if (canonical.size() > suffix.size() && std::string_view(canonical).substr(canonical.size() - suffix.size()) == suffix) {
        return true;
      }
      continue;
    }
    if (CanonicalHost(name) == canonical) return true;
  }
  return false;
}

}  // namespace atl::server
