// The SSRF guard's classifier: every refused range, its edges, and the IPv6 forms that embed an
// IPv4 address. Pure functions: nothing here opens a connection.
#include "server/ssrf_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::server {
namespace {

AddressRule Of(const std::string& text) {
  AddressRule rule = AddressRule::kPublic;
  EXPECT_TRUE(ClassifyLiteral(text, &rule)) << text;
  return rule;
}

TEST(SsrfGuard, IPv4Ranges) {
  struct Case { const char* address; AddressRule rule; };
  const Case cases[] = {
      {"127.0.0.1", AddressRule::kLoopback}, {"127.255.255.255", AddressRule::kLoopback},
      {"10.0.0.0", AddressRule::kPrivate}, {"10.255.255.255", AddressRule::kPrivate},
      {"172.16.0.1", AddressRule::kPrivate}, {"172.31.255.255", AddressRule::kPrivate},
      {"172.15.255.255", AddressRule::kPublic}, {"172.32.0.0", AddressRule::kPublic},
      {"192.168.0.1", AddressRule::kPrivate}, {"192.168.255.255", AddressRule::kPrivate},
      {"192.169.0.0", AddressRule::kPublic},
      {"169.254.169.254", AddressRule::kLinkLocal}, {"169.254.0.0", AddressRule::kLinkLocal},
      {"169.255.0.0", AddressRule::kPublic},
      {"100.64.0.0", AddressRule::kSharedCgnat}, {"100.127.255.255", AddressRule::kSharedCgnat},
      {"100.63.255.255", AddressRule::kPublic}, {"100.128.0.0", AddressRule::kPublic},
      {"224.0.0.1", AddressRule::kMulticast}, {"239.255.255.255", AddressRule::kMulticast},
      {"0.0.0.0", AddressRule::kUnspecified}, {"0.1.2.3", AddressRule::kUnspecified},
      {"255.255.255.255", AddressRule::kBroadcast},
      {"240.0.0.1", AddressRule::kReserved}, {"255.255.255.254", AddressRule::kReserved},
      {"192.0.0.8", AddressRule::kReserved}, {"192.0.2.1", AddressRule::kReserved},
      {"198.18.0.1", AddressRule::kReserved}, {"198.19.255.255", AddressRule::kReserved},
      {"198.51.100.7", AddressRule::kReserved}, {"203.0.113.9", AddressRule::kReserved},
      {"192.88.99.1", AddressRule::kReserved},
      {"8.8.8.8", AddressRule::kPublic}, {"1.1.1.1", AddressRule::kPublic}, {"93.184.216.34", AddressRule::kPublic},
      {"126.255.255.255", AddressRule::kPublic}, {"128.0.0.0", AddressRule::kPublic},
      {"223.255.255.255", AddressRule::kPublic}, {"11.0.0.0", AddressRule::kPublic},
  };
  for (const Case& c : cases) EXPECT_EQ(Of(c.address), c.rule) << c.address;
}

TEST(SsrfGuard, IPv6Ranges) {
  struct Case { const char* address; AddressRule rule; };
  const Case cases[] = {
      {"::1", AddressRule::kLoopback}, {"[::1]", AddressRule::kLoopback},
      {"::", AddressRule::kUnspecified},
      {"fc00::1", AddressRule::kUniqueLocal}, {"fd12:3456::1", AddressRule::kUniqueLocal},
      {"fe80::1", AddressRule::kLinkLocal}, {"febf::1", AddressRule::kLinkLocal},
      {"fec0::1", AddressRule::kReserved},
      {"ff02::1", AddressRule::kMulticast}, {"ff0e::1", AddressRule::kMulticast},
      {"2001:db8::1", AddressRule::kReserved}, {"100::1", AddressRule::kReserved},
      {"2606:4700:4700::1111", AddressRule::kPublic}, {"2001:4860:4860::8888", AddressRule::kPublic},
      {"fbff::1", AddressRule::kPublic},
  };
  for (const Case& c : cases) EXPECT_EQ(Of(c.address), c.rule) << c.address;
}

TEST(SsrfGuard, IPv6FormsOfRefusedIPv4AreRefused) {
  for (const char* v4 : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                         "224.0.0.1", "0.0.0.0", "255.255.255.255", "240.0.0.1"}) {
    AddressRule expected = Of(v4);
    ASSERT_NE(expected, AddressRule::kPublic) << v4;
    EXPECT_EQ(Of(std::string("::ffff:") + v4), expected) << "mapped " << v4;
    if (std::string(v4) != "0.0.0.0") {
      EXPECT_EQ(Of(std::string("::") + v4), expected) << "compatible " << v4;
    }
    EXPECT_EQ(Of(std::string("64:ff9b::") + v4), expected) << "NAT64 " << v4;
  }
  EXPECT_EQ(Of("::ffff:7f00:1"), AddressRule::kLoopback);      // mapped, hex form
  EXPECT_EQ(Of("::ffff:a9fe:a9fe"), AddressRule::kLinkLocal);  // 169.254.169.254
  EXPECT_EQ(Of("2002:7f00:1::"), AddressRule::kLoopback);      // 6to4 of 127.0.0.1
  EXPECT_EQ(Of("2002:a00:1::1"), AddressRule::kPrivate);       // 6to4 of 10.0.0.1
  EXPECT_EQ(Of("::ffff:8.8.8.8"), AddressRule::kPublic);
}

TEST(SsrfGuard, SockaddrAndNonLiterals) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "169.254.169.254", &v4.sin_addr);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&v4)), AddressRule::kLinkLocal);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.168.0.1", &v6.sin6_addr);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<sockaddr*>(&v6)), AddressRule::kPrivate);
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_EQ(ClassifyAddress(&other), AddressRule::kReserved);
  AddressRule rule;
  EXPECT_FALSE(ClassifyLiteral("localhost", &rule));
  EXPECT_FALSE(ClassifyLiteral("example.com", &rule));
  EXPECT_FALSE(ClassifyLiteral("", &rule));
  EXPECT_EQ(RuleText(AddressRule::kLoopback), "loopback address");
}

TEST(SsrfGuard, OutboundPatterns) {
  std::vector<std::string> list = {"api.example.com", "*.trusted.net", "127.0.0.1:9000", "[::1]:8080", "10.0.0.5"};
  EXPECT_TRUE(OutboundAllows(list, "api.example.com", 443));
  EXPECT_TRUE(OutboundAllows(list, "api.example.com", 80));
  EXPECT_FALSE(OutboundAllows(list, "www.example.com", 443));
  EXPECT_FALSE(OutboundAllows(list, "example.com", 443));
  EXPECT_TRUE(OutboundAllows(list, "a.trusted.net", 443));
  EXPECT_TRUE(OutboundAllows(list, "a.b.trusted.net", 80));
  EXPECT_FALSE(OutboundAllows(list, "trusted.net", 443));
  EXPECT_FALSE(OutboundAllows(list, "eviltrusted.net", 443));
  EXPECT_TRUE(OutboundAllows(list, "127.0.0.1", 9000));
  EXPECT_FALSE(OutboundAllows(list, "127.0.0.1", 9001));
  EXPECT_TRUE(OutboundAllows(list, "[::1]", 8080));
  EXPECT_FALSE(OutboundAllows(list, "[::1]", 80));
  EXPECT_TRUE(OutboundAllows(std::vector<std::string>{"[0:0::1]:8080"}, "[::1]", 8080));
  EXPECT_TRUE(OutboundAllows(list, "10.0.0.5", 1234));
  EXPECT_FALSE(OutboundAllows({}, "api.example.com", 443));
}

}  // namespace
}  // namespace atl::server

namespace atl::server {
namespace {

// A DNS answer of `texts`, in that order (what getaddrinfo gives, as far as the guard looks).
struct FakeAnswer {
  std::vector<sockaddr_storage> addresses;
  std::vector<addrinfo> entries;
  explicit FakeAnswer(const std::vector<std::string>& texts) : addresses(texts.size()), entries(texts.size()) {
    for (size_t i = 0; i < texts.size(); ++i) {
      AddressRule ignored;
      EXPECT_TRUE(LiteralAddress(texts[i], 443, &addresses[i], &ignored)) << texts[i];
      entries[i].ai_family = addresses[i].ss_family;
      entries[i].ai_addr = reinterpret_cast<sockaddr*>(&addresses[i]);
      entries[i].ai_addrlen = addresses[i].ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      entries[i].ai_next = i + 1 < texts.size() ? &entries[i + 1] : nullptr;
    }
  }
  const addrinfo* head() const { return entries.empty() ? nullptr : &entries[0]; }
};

TEST(SsrfGuard, LiteralAddressesCarryTheirPortAndRule) {
  sockaddr_storage address{};
  AddressRule rule = AddressRule::kPublic;
  ASSERT_TRUE(LiteralAddress("127.0.0.1", 5432, &address, &rule));
  EXPECT_EQ(rule, AddressRule::kLoopback);
  EXPECT_EQ(address.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port), 5432);
  EXPECT_EQ(AddressText(reinterpret_cast<sockaddr*>(&address)), "127.0.0.1");
  ASSERT_TRUE(LiteralAddress("[::ffff:10.0.0.1]", 80, &address, &rule));
  EXPECT_EQ(rule, AddressRule::kPrivate);
  EXPECT_EQ(address.ss_family, AF_INET6);
  EXPECT_EQ(AddressText(reinterpret_cast<sockaddr*>(&address)), "::ffff:10.0.0.1");
  ASSERT_TRUE(LiteralAddress("2606:4700::1111", 443, &address, &rule));
  EXPECT_EQ(rule, AddressRule::kPublic);
  EXPECT_FALSE(LiteralAddress("db.example.com", 5432, &address, &rule));
  EXPECT_FALSE(LiteralAddress("127.0.0.1.nip.io", 5432, &address, &rule));
}

// Every address of an answer is checked: the first allowed one is used, so that a name resolving
// to a public and a private address cannot be steered to the private one.
TEST(SsrfGuard, ChooseAddressTakesTheFirstAllowedAndNamesTheFirstRefused) {
  FakeAnswer mixed({"10.0.0.5", "93.184.216.34", "127.0.0.1"});
  AddressChoice choice = ChooseAddress(mixed.head(), /*listed=*/false);
  ASSERT_NE(choice.chosen, nullptr);
  EXPECT_EQ(AddressText(choice.chosen->ai_addr), "93.184.216.34");
  EXPECT_EQ(choice.chosen_rule, AddressRule::kPublic);
  ASSERT_NE(choice.refused, nullptr);
  EXPECT_EQ(AddressText(choice.refused->ai_addr), "10.0.0.5");
  EXPECT_EQ(choice.refused_rule, AddressRule::kPrivate);

  FakeAnswer internal({"169.254.169.254", "::1"});
  choice = ChooseAddress(internal.head(), /*listed=*/false);
  EXPECT_EQ(choice.chosen, nullptr);
  EXPECT_EQ(choice.refused_rule, AddressRule::kLinkLocal);
  // A host the tenant lists may resolve anywhere: its first address is used.
  choice = ChooseAddress(internal.head(), /*listed=*/true);
  ASSERT_NE(choice.chosen, nullptr);
  EXPECT_EQ(choice.chosen_rule, AddressRule::kLinkLocal);
  EXPECT_EQ(ChooseAddress(nullptr, false).chosen, nullptr);
}

}  // namespace
}  // namespace atl::server
