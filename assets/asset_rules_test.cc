// _redirects and _headers (asset_rules.h): parsing, matching with captures, and their effect on
// the assets' answers (asset_response.h).
#include "assets/asset_rules.h"

#include "assets/asset_response.h"
#include "assets/asset_set_test.h"

namespace atl::assets {
namespace {

TEST(RulePattern, SplatsAndPlaceholdersCapture) {
  RulePattern blog("/blog/:year/:slug");
  auto captures = blog.Match("/blog/2026/hello");
  ASSERT_TRUE(captures.has_value());
  EXPECT_EQ(Substitute("/posts/:slug?y=:year&:unknown", *captures), "/posts/hello?y=2026&:unknown");
  EXPECT_FALSE(blog.Match("/blog/2026/a/b"));  // a placeholder stays in its segment
  EXPECT_FALSE(blog.Match("/blog/2026/"));     // ... and is not empty
  RulePattern docs("/docs/*");
  EXPECT_EQ(Substitute("/v2/:splat", *docs.Match("/docs/a/b.html")), "/v2/a/b.html");
  EXPECT_EQ(Substitute("/v2/:splat", *docs.Match("/docs/")), "/v2/");
  RulePattern host("https://:sub.example.com/*");
  EXPECT_TRUE(host.cross_host());
  EXPECT_EQ(Substitute(":sub :splat", *host.Match("https://shop.example.com/cart")), "shop cart");
  EXPECT_FALSE(host.Match("https://a.b.example.com/cart"));  // a host placeholder has no "."
  EXPECT_TRUE(RulePattern("/exact").is_static());
  EXPECT_FALSE(docs.is_static());
}

TEST(AssetRules, ParseWhatIsValidAndReportTheRest) {
  std::vector<std::string> problems;
  AssetRules rules = AssetRules::Parse(
      "# moves\n/old /new 301\n/old /again\n/blog/* /posts/:splat\n/ext https://example.org/x 308\n"
      "/a /b 404\nnot-a-path /x\n/rewrite /index.html 200\n/bad-rewrite https://x.org/ 200\n/one\n",
      "/*\n  X-Frame-Options: DENY\n  Link: </a.css>; rel=preload\n/secure/*\n  ! X-Frame-Options\n"
      "  Cache-Control: no-store\nNoSlash\n  X-A: b\n  bad line\n",
      &problems);
  ASSERT_EQ(problems.size(), 8u) << problems.size();
  EXPECT_EQ(problems[0], "_redirects:3: \"/old\" has a rule already; this one is left out");
  EXPECT_EQ(problems[1], "_redirects:6: status 404 is not one of 200, 301, 302, 303, 307, 308");
  EXPECT_EQ(problems[2], "_redirects:7: \"not-a-path\" must start with \"/\" or \"https://\"");
  EXPECT_EQ(problems[3], "_redirects:9: a 200 rule (a rewrite) needs a destination path on this site");
  EXPECT_EQ(problems[4], "_redirects:10: expected \"from to [status]\"");
  EXPECT_EQ(problems[5].substr(0, 12), "_headers:7: ");
  EXPECT_EQ(problems[6], "_headers:8: a header line without a path line before it");
  EXPECT_EQ(problems[7].substr(0, 12), "_headers:9: ");
  EXPECT_EQ(rules.RedirectFor("h", "/old")->to, "/new");
  EXPECT_EQ(rules.RedirectFor("h", "/old")->status, 301);
  EXPECT_EQ(rules.RedirectFor("h", "/blog/a/b")->to, "/posts/a/b");
  EXPECT_EQ(rules.RedirectFor("h", "/blog/a/b")->status, 302);
  EXPECT_EQ(rules.RedirectFor("h", "/rewrite")->status, 200);
  EXPECT_FALSE(rules.RedirectFor("h", "/elsewhere"));
  std::vector<HeaderChange> changes = rules.HeadersFor("h", "/secure/page");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].set.size(), 2u);
  EXPECT_EQ(changes[0].set[1], (std::pair<std::string, std::string>{"link", "</a.css>; rel=preload"}));
  EXPECT_EQ(changes[1].unset, std::vector<std::string>{"x-frame-options"});
  EXPECT_EQ(rules.HeadersFor("h", "/open").size(), 1u);
}

TEST(AssetRules, HeadersThatAreNotValidOnTheWireAreLeftOut) {
  std::vector<std::string> problems;
  AssetRules rules = AssetRules::Parse(
      "", "/*\n  Bad Name: x\n  X-Split: a\rInjected: yes\n  X-Ok: fine\tstill\n  ! \n  ! Not Valid\n", &problems);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0], "_headers:2: not a valid header (a name of token characters, a value without control characters)");
  EXPECT_EQ(problems[1].substr(0, 12), "_headers:3: ");
  EXPECT_EQ(problems[2], "_headers:5: expected \"! Name\" with a header name");
  EXPECT_EQ(problems[3].substr(0, 12), "_headers:6: ");
  std::vector<HeaderChange> changes = rules.HeadersFor("h", "/");
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_EQ(changes[0].set.size(), 1u);
  EXPECT_EQ(changes[0].set[0], (std::pair<std::string, std::string>{"x-ok", "fine\tstill"}));
  EXPECT_TRUE(changes[0].unset.empty());
}

TEST(AssetRules, AStaticRuleWinsOverAnEarlierSplat) {
  std::vector<std::string> problems;
  AssetRules rules = AssetRules::Parse("/a/* /splat\n/a/b /exact\n", "", &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(rules.RedirectFor("h", "/a/b")->to, "/exact");
  EXPECT_EQ(rules.RedirectFor("h", "/a/c")->to, "/splat");
}

TEST(AssetRules, TheyShapeTheAnswers) {
  AssetFolder folder;
  folder.Write("index.html", "home").Write("users/id.html", "a user page").Write("style.css", "x");
  folder.Write("_redirects", "/home / 301\n/users/:id /users/id 200\n/go https://example.org/?from=atoll\n");
  folder.Write("_headers", "/*\n  X-Frame-Options: DENY\n  X-Tag: a\n/style.css\n  Cache-Control: max-age=31536000\n  X-Tag: b\n! X\n");
  std::shared_ptr<const AssetSet> set = folder.Load();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->rule_problems().size(), 1u);  // "! X" on a path line
  EXPECT_EQ(set->Find("/_redirects"), nullptr);
  auto header = [](const AssetResponse& r, std::string_view name) {
    std::string all;
    for (const auto& [n, v] : r.headers) {
      if (n == name) all += (all.empty() ? "" : ",") + v;
    }
    return all;
  };
  AssetResponse moved = ServeAsset(*set, {.method = "GET", .host = "h", .path = "/home", .search = "?q=1"});
  EXPECT_EQ(moved.status, 301);
  EXPECT_EQ(header(moved, "location"), "/?q=1");
  EXPECT_EQ(header(moved, "x-frame-options"), "DENY");  // _headers apply to every answer
  AssetResponse away = ServeAsset(*set, {.method = "GET", .path = "/go", .search = "?q=1"});
  EXPECT_EQ(header(away, "location"), "https://example.org/?from=atoll");  // its own query wins
  AssetResponse user = ServeAsset(*set, {.method = "GET", .path = "/users/42"});
  EXPECT_EQ(user.status, 200);
  EXPECT_EQ(user.body, "a user page");
  EXPECT_TRUE(AnswerAheadOfWorker(*set, {.method = "GET", .path = "/users/42"}).has_value());
  AssetResponse css = ServeAsset(*set, {.method = "GET", .path = "/style.css"});
  EXPECT_EQ(header(css, "cache-control"), "max-age=31536000");  // replaced
  EXPECT_EQ(header(css, "x-tag"), "a,b");                       // set by two rules: both
}

}  // namespace
}  // namespace atl::assets
