#include "config/route_pattern.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace atl::config {
namespace {

using HostKind = RoutePattern::HostKind;

TEST(RoutePattern, ParsesTheFourShapes) {
  auto exact = ParseRoutePattern("hello.example.com/*");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->host_kind, HostKind::kExact);
  EXPECT_EQ(exact->host, "hello.example.com");
  EXPECT_EQ(exact->path, "/");
  EXPECT_TRUE(exact->path_prefix);

  auto suffix = ParseRoutePattern("*.example.com/api/*");
  ASSERT_TRUE(suffix.ok()) << suffix.status();
  EXPECT_EQ(suffix->host_kind, HostKind::kSuffix);
  EXPECT_EQ(suffix->host, "example.com");
  EXPECT_EQ(suffix->path, "/api/");
  EXPECT_TRUE(suffix->path_prefix);

  auto any = ParseRoutePattern("*/hello/*");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->host_kind, HostKind::kAny);
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->path, "/hello/");

  auto health = ParseRoutePattern("example.com/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->host_kind, HostKind::kExact);
  EXPECT_EQ(health->path, "/health");
  EXPECT_FALSE(health->path_prefix);
}

TEST(RoutePattern, PrefixWithoutTrailingSlash) {
  auto p = ParseRoutePattern("example.com/api*");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->path, "/api");
  EXPECT_TRUE(p->path_prefix);
  EXPECT_EQ(p->ToString(), "example.com/api*");
}

TEST(RoutePattern, LowerCasesTheHostButNotThePath) {
  auto p = ParseRoutePattern("*.Example.COM/Api/*");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->host, "example.com");
  EXPECT_EQ(p->path, "/Api/");
  EXPECT_EQ(p->ToString(), "*.example.com/Api/*");
}

TEST(RoutePattern, ToStringIsCanonicalAndRoundTrips) {
  for (const char* text : {"*/*", "*/hello/*", "*.example.com/api/*", "a-b.c0.example.com/x",
                           "example.com/", "xn--bcher-kva.example/*"}) {
    auto p = ParseRoutePattern(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status();
    EXPECT_EQ(p->ToString(), text);
    auto again = ParseRoutePattern(p->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *p);
  }
  EXPECT_EQ(ParseRoutePattern("EXAMPLE.com/*")->ToString(), ParseRoutePattern("example.COM/*")->ToString());
}

// Each malformed pattern is refused with a message that quotes it and says why.
TEST(RoutePattern, RejectsMalformed) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty"},
      {"example.com", "a path is required"},
      {"https://example.com/*", "scheme"},
      {"example.com:8080/*", "port"},
      {"/*", "the host is empty"},
      {"*.*/x", "'*' may only be the whole host"},
      {"a.*.com/x", "'*' may only be the whole host"},
      {"*example.com/x", "'*' may only be the whole host"},
      {"example.*/x", "'*' may only be the whole host"},
      {"*./x", "the host is empty"},
      {"exa_mple.com/x", "not '_'"},
      {"exa mple.com/x", "not ' '"},
      {"[::1]/x", "not '['"},
      {".example.com/x", "empty label"},
      {"example.com./x", "empty label"},
      {"a..b/x", "empty label"},
      {"example.com/*/x", "'*' may only be the last character of the path"},
      {"example.com/a*b", "'*' may only be the last character of the path"},
      {"example.com/**", "'*' may only be the last character of the path"},
      {"example.com/x?y=1", "query"},
      {"example.com/a b", "spaces"},
      {"*", "a path is required"},
  };
  for (const Case& c : cases) {
    auto p = ParseRoutePattern(c.text);
    ASSERT_FALSE(p.ok()) << "accepted \"" << c.text << "\"";
    std::string message(base::ToStd(p.status().message()));
    EXPECT_NE(message.find(base::StrCat("\"", c.text, "\"")), std::string::npos) << message;
    EXPECT_NE(message.find(c.why), std::string::npos) << message;
  }
}

TEST(RoutePattern, RejectsOverlongHostAndLabel) {
  std::string long_label(64, 'a');
  EXPECT_FALSE(ParseRoutePattern(long_label + ".com/*").ok());
  EXPECT_TRUE(ParseRoutePattern(std::string(63, 'a') + ".com/*").ok());
  std::string long_host;
  for (int i = 0; i < 50; ++i) long_host += "abcde.";
  long_host += "com";
  EXPECT_FALSE(ParseRoutePattern(long_host + "/*").ok());
}

}  // namespace
}  // namespace atl::config
