#include "server/router.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace atl::server {
namespace {

using base::StrCat;

config::RoutePattern P(std::string_view text) {
  absl::StatusOr<config::RoutePattern> pattern = config::ParseRoutePattern(text);
  EXPECT_TRUE(pattern.ok()) << text << ": " << pattern.status();
  return pattern.ok() ? *pattern : config::RoutePattern{};
}

// A router built from (pattern, target) pairs.
Router Make(std::initializer_list<std::pair<const char*, uint32_t>> routes) {
  Router router;
  for (const auto& [text, target] : routes) EXPECT_TRUE(router.Add(P(text), target).ok()) << text;
  return router;
}

TEST(RouterTest, NothingMatchesAnEmptyRouter) {
  Router router;
  EXPECT_EQ(router.Match("example.com", "/"), std::nullopt);
}

TEST(RouterTest, SamePatternTwiceIsAnError) {
  Router router;
  ASSERT_TRUE(router.Add(P("example.com/*"), 1).ok());
  absl::Status again = router.Add(P("EXAMPLE.com/*"), 2);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(base::ToStd(again.message())).find("example.com/*"), std::string::npos);
  EXPECT_TRUE(router.Add(P("example.com/"), 3).ok());  // exact "/" is not the prefix "/"
  EXPECT_EQ(router.size(), 2u);
  EXPECT_EQ(router.Match("example.com", "/"), 3u);
  EXPECT_EQ(router.Match("example.com", "/x"), 1u);
}

TEST(RouterTest, ExactHostBeatsSuffixBeatsAny) {
  Router router = Make({{"*/*", 1}, {"*.example.com/*", 2}, {"*.a.example.com/*", 3}, {"b.a.example.com/*", 4}});
  EXPECT_EQ(router.Match("b.a.example.com", "/x"), 4u);
  EXPECT_EQ(router.Match("c.a.example.com", "/x"), 3u);  // longer suffix over shorter
  EXPECT_EQ(router.Match("x.y.c.a.example.com", "/x"), 3u);
  EXPECT_EQ(router.Match("a.example.com", "/x"), 2u);    // "*.a.example.com" does not match its apex
  EXPECT_EQ(router.Match("example.com", "/x"), 1u);      // nor "*.example.com"
  EXPECT_EQ(router.Match("other.org", "/x"), 1u);
  EXPECT_EQ(router.Match("", "/x"), 1u);
}

TEST(RouterTest, FallsBackToALessSpecificHostWhenNoPathMatches) {
  Router router = Make({{"a.example.com/api/*", 1}, {"*.example.com/static/*", 2}, {"*/hello/*", 3}});
  EXPECT_EQ(router.Match("a.example.com", "/api/x"), 1u);
  EXPECT_EQ(router.Match("a.example.com", "/static/x"), 2u);
  EXPECT_EQ(router.Match("a.example.com", "/hello/x"), 3u);
  EXPECT_EQ(router.Match("a.example.com", "/other"), std::nullopt);
  EXPECT_EQ(router.Match("b.example.com", "/api/x"), std::nullopt);
}

TEST(RouterTest, ExactPathBeatsPrefixAndLongerPrefixBeatsShorter) {
  Router router = Make({{"example.com/*", 1}, {"example.com/api/*", 2}, {"example.com/api/v2/*", 3},
                        {"example.com/api/v2", 4}, {"example.com/api*", 5}, {"example.com/health", 6}});
  EXPECT_EQ(router.Match("example.com", "/"), 1u);
  EXPECT_EQ(router.Match("example.com", "/index.html"), 1u);
  EXPECT_EQ(router.Match("example.com", "/api/"), 2u);
  EXPECT_EQ(router.Match("example.com", "/api/users"), 2u);
  EXPECT_EQ(router.Match("example.com", "/api/v2/users"), 3u);
  EXPECT_EQ(router.Match("example.com", "/api/v2"), 4u);
  EXPECT_EQ(router.Match("example.com", "/apix"), 5u);
  EXPECT_EQ(router.Match("example.com", "/api"), 5u);
  EXPECT_EQ(router.Match("example.com", "/health"), 6u);
  EXPECT_EQ(router.Match("example.com", "/health/x"), 1u);
  EXPECT_EQ(router.Match("example.com", "/Health"), 1u);  // paths are case-sensitive
}

TEST(RouterTest, ExactPathOnlyDoesNotMatchOthers) {
  Router router = Make({{"example.com/health", 1}});
  EXPECT_EQ(router.Match("example.com", "/health"), 1u);
  EXPECT_EQ(router.Match("example.com", "/health/"), std::nullopt);
  EXPECT_EQ(router.Match("example.com", "/"), std::nullopt);
  EXPECT_EQ(router.Match("other.com", "/health"), std::nullopt);
}

TEST(RouterTest, HostIsCaseInsensitiveAndPortsAreStripped) {
  Router router = Make({{"Example.COM/*", 1}, {"*.Example.com/x/*", 2}});
  EXPECT_EQ(router.Match("example.com", "/"), 1u);
  EXPECT_EQ(router.Match("EXAMPLE.Com", "/"), 1u);
  EXPECT_EQ(router.Match("example.com:8080", "/"), 1u);
  EXPECT_EQ(router.Match("EXAMPLE.COM:443", "/"), 1u);
  EXPECT_EQ(router.Match("example.com.", "/"), 1u);  // fully-qualified form
  EXPECT_EQ(router.Match("WWW.example.com:80", "/x/y"), 2u);
  EXPECT_EQ(router.Match("example.org", "/"), std::nullopt);
  EXPECT_EQ(router.Match("example.com.evil.org", "/"), std::nullopt);
  EXPECT_EQ(router.Match("evilexample.com", "/x/y"), std::nullopt);
}

TEST(RouterTest, Ipv6LiteralHosts) {
  Router router = Make({{"*.example.com/*", 1}});
  EXPECT_EQ(router.Match("[::1]:8080", "/"), std::nullopt);
  EXPECT_EQ(router.Match("[::ffff:1.example.com]", "/"), std::nullopt);  // never probed as labels
  Router any = Make({{"*.example.com/*", 1}, {"*/v6/*", 2}});
  EXPECT_EQ(any.Match("[::1]:8080", "/v6/x"), 2u);
  EXPECT_EQ(any.Match("[2001:DB8::1]", "/v6/"), 2u);
  EXPECT_EQ(any.Match("[::1]:8080", "/other"), std::nullopt);
}

TEST(RouterTest, Ipv4LiteralHosts) {
  Router router = Make({{"127.0.0.1/*", 1}, {"*/*", 2}});
  EXPECT_EQ(router.Match("127.0.0.1:8080", "/"), 1u);
  EXPECT_EQ(router.Match("127.0.0.2:8080", "/"), 2u);
}

TEST(RouterTest, OverlongHostsNeverMatch) {
  Router router = Make({{"*/*", 1}});
  std::string host(255, 'a');
  EXPECT_EQ(router.Match(host, "/"), 1u);
  EXPECT_EQ(router.Match(host + ":8080", "/"), 1u);
  EXPECT_EQ(router.Match(host + "a", "/"), std::nullopt);
}

TEST(RouterTest, TenThousandRoutesEachReachTheirTarget) {
  Router router;
  constexpr uint32_t kRoutes = 10000;
  for (uint32_t i = 0; i < kRoutes; ++i) {
    std::string text = i % 2 == 0 ? StrCat("t", i, ".example.com/*") : StrCat("*/t", i, "/*");
    ASSERT_TRUE(router.Add(P(text), i).ok()) << text;
  }
  EXPECT_EQ(router.size(), kRoutes);
  for (uint32_t i = 0; i < kRoutes; ++i) {
    if (i % 2 == 0) {
      ASSERT_EQ(router.Match(StrCat("T", i, ".Example.com:8080"), "/any/path"), i);
    } else {
      ASSERT_EQ(router.Match("unknown.example.com", StrCat("/t", i, "/x")), i);
      ASSERT_EQ(router.Match(StrCat("t", i - 1, ".example.com"), StrCat("/t", i, "/x")), i - 1);  // host first
    }
  }
  EXPECT_EQ(router.Match("unknown.example.com", "/t0/x"), std::nullopt);
  EXPECT_EQ(router.Match("unknown.example.com", "/t1"), std::nullopt);
}

}  // namespace
}  // namespace atl::server
