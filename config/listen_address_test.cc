#include "config/listen_address.h"

#include <gtest/gtest.h>

namespace atl::config {
namespace {

TEST(ListenAddress, ParsesIpv4Ipv6AndLocalhost) {
  auto v4 = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_FALSE(v4->ipv6);

  auto v6 = ParseListenAddress("[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->ToString(), "[::1]:9000");

  EXPECT_EQ(ParseListenAddress("localhost:0")->host, "127.0.0.1");
}

TEST(ListenAddress, RejectsMalformed) {
  EXPECT_FALSE(ParseListenAddress("8080").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseListenAddress("example.com:80").ok());
  EXPECT_FALSE(ParseListenAddress("[::1:80").ok());
  EXPECT_FALSE(ParseListenAddress("::1:80").ok());
}

}  // namespace
}  // namespace atl::config
