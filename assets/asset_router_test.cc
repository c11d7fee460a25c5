// The html_handling and not_found_handling tables of Cloudflare's docs, case by case
// (https://developers.cloudflare.com/workers/static-assets/routing/advanced/html-handling/).
#include "assets/asset_router.h"

#include "assets/asset_response.h"
#include "assets/asset_set_test.h"

namespace atl::assets {
namespace {

using config::HtmlHandling;
using config::NotFoundHandling;

class Site : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_.Write("index.html", "home").Write("file.html", "file").Write("folder/index.html", "folder");
    folder_.Write("both.html", "both-file").Write("both/index.html", "both-folder").Write("404.html", "missing");
    folder_.Write("blog/404.html", "blog-missing").Write("app.js", "js").Write("a b.html", "spaced");
    folder_.Write("[x].html", "bracket");
  }
  // "200 body", "307 /to", or "none".
  std::string Resolves(HtmlHandling html, std::string_view path, NotFoundHandling nf = NotFoundHandling::kNone) {
    config::AssetsConfig config;
    config.html_handling = html;
    std::shared_ptr<const AssetSet> set = folder_.Load(config);
    std::optional<Intent> intent = Resolve(*set, path, nf);
    if (!intent) return "none";
    if (!intent->redirect.empty()) return "307 " + intent->redirect;
    return std::to_string(intent->status) + " " + intent->asset->body;
  }
  AssetFolder folder_;
};

TEST_F(Site, AutoTrailingSlash) {
  const HtmlHandling h = HtmlHandling::kAutoTrailingSlash;
  EXPECT_EQ(Resolves(h, "/file"), "200 file");
  EXPECT_EQ(Resolves(h, "/file.html"), "307 /file");
  EXPECT_EQ(Resolves(h, "/file/"), "307 /file");
  EXPECT_EQ(Resolves(h, "/file/index"), "307 /file");
  EXPECT_EQ(Resolves(h, "/file/index.html"), "307 /file");
  EXPECT_EQ(Resolves(h, "/folder"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/folder.html"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/folder/"), "200 folder");
  EXPECT_EQ(Resolves(h, "/folder/index"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/folder/index.html"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/"), "200 home");
  EXPECT_EQ(Resolves(h, "/index.html"), "307 /");
  EXPECT_EQ(Resolves(h, "/index"), "307 /");
  EXPECT_EQ(Resolves(h, "/both"), "200 both-file");
  EXPECT_EQ(Resolves(h, "/both/"), "200 both-folder");
  EXPECT_EQ(Resolves(h, "/app.js"), "200 js");
  EXPECT_EQ(Resolves(h, "/missing"), "none");
}

TEST_F(Site, ForceTrailingSlash) {
  const HtmlHandling h = HtmlHandling::kForceTrailingSlash;
  EXPECT_EQ(Resolves(h, "/file"), "307 /file/");
  EXPECT_EQ(Resolves(h, "/file/"), "200 file");
  EXPECT_EQ(Resolves(h, "/file.html"), "307 /file/");
  EXPECT_EQ(Resolves(h, "/folder"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/folder/"), "200 folder");
  EXPECT_EQ(Resolves(h, "/folder/index.html"), "307 /folder/");
  EXPECT_EQ(Resolves(h, "/both.html"), "200 both-file");  // /both/ is the folder's
  EXPECT_EQ(Resolves(h, "/"), "200 home");
  EXPECT_EQ(Resolves(h, "/app.js"), "200 js");
}

TEST_F(Site, DropTrailingSlash) {
  const HtmlHandling h = HtmlHandling::kDropTrailingSlash;
  EXPECT_EQ(Resolves(h, "/file"), "200 file");
  EXPECT_EQ(Resolves(h, "/file/"), "307 /file");
  EXPECT_EQ(Resolves(h, "/file.html"), "307 /file");
  EXPECT_EQ(Resolves(h, "/folder"), "200 folder");
  EXPECT_EQ(Resolves(h, "/folder/"), "307 /folder");
  EXPECT_EQ(Resolves(h, "/folder/index.html"), "307 /folder");
  EXPECT_EQ(Resolves(h, "/"), "200 home");
  EXPECT_EQ(Resolves(h, "/index.html"), "307 /");
  EXPECT_EQ(Resolves(h, "/both/index.html"), "200 both-folder");  // /both is the file's
}

TEST_F(Site, NoneServesExactPathsOnly) {
  const HtmlHandling h = HtmlHandling::kNone;
  EXPECT_EQ(Resolves(h, "/file.html"), "200 file");
  EXPECT_EQ(Resolves(h, "/file"), "none");
  EXPECT_EQ(Resolves(h, "/folder/"), "none");
  EXPECT_EQ(Resolves(h, "/folder/index.html"), "200 folder");
}

TEST_F(Site, NotFoundHandling) {
  const HtmlHandling h = HtmlHandling::kAutoTrailingSlash;
  EXPECT_EQ(Resolves(h, "/app/some/route", NotFoundHandling::kSinglePageApplication), "200 home");
  EXPECT_EQ(Resolves(h, "/blog/nope/deeper", NotFoundHandling::kPage404), "404 blog-missing");
  EXPECT_EQ(Resolves(h, "/shop/item", NotFoundHandling::kPage404), "404 missing");
  EXPECT_EQ(Resolves(h, "/file", NotFoundHandling::kPage404), "200 file");  // found first
}

TEST(AssetPaths, DecodeAndEncodeAsWorkersDoes) {
  EXPECT_EQ(DecodePath("/a%20b/c%5Bd%5D"), "/a b/c[d]");
  EXPECT_EQ(DecodePath("//a///b/"), "/a/b/");
  EXPECT_EQ(DecodePath("/bad%zz/%E2%82%AC/%FF"), "/bad%zz/€/%FF");  // what does not decode stays
  EXPECT_EQ(EncodePath("/a b/c[d]/€/x-_.!~*'()"), "/a%20b/c%5Bd%5D/%E2%82%AC/x-_.!~*'()");
}

class Serving : public Site {
 protected:
  std::shared_ptr<const AssetSet> Load(NotFoundHandling nf = NotFoundHandling::kNone) {
    config::AssetsConfig config;
    config.not_found_handling = nf;
    return folder_.Load(config);
  }
  static std::string Header(const AssetResponse& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
      if (n == name) return v;
    }
    return "<none>";
  }
};

TEST_F(Serving, AnAssetWithItsHeadersThenNotModified) {
  std::shared_ptr<const AssetSet> set = Load();
  AssetResponse ok = ServeAsset(*set, {.method = "GET", .path = "/file"});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "file");
  EXPECT_EQ(Header(ok, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(ok, "cache-control"), "public, max-age=0, must-revalidate");
  std::string etag = Header(ok, "etag");
  ASSERT_EQ(etag.size(), 34u);
  AssetResponse again = ServeAsset(*set, {.method = "GET", .path = "/file", .if_none_match = etag});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Header(again, "etag"), etag);
  std::string weak = "W/" + etag;
  EXPECT_EQ(ServeAsset(*set, {.method = "HEAD", .path = "/file", .if_none_match = weak}).status, 304);
  EXPECT_EQ(ServeAsset(*set, {.method = "GET", .path = "/file", .if_none_match = "\"other\""}).status, 200);
  AssetResponse private_one = ServeAsset(*set, {.method = "GET", .path = "/file", .cacheable = false});
  EXPECT_EQ(Header(private_one, "cache-control"), "<none>");
}

TEST_F(Serving, RedirectsKeepTheQueryAndOtherMethodsAreRefused) {
  std::shared_ptr<const AssetSet> set = Load();
  AssetResponse moved = ServeAsset(*set, {.method = "GET", .path = "/file.html", .search = "?v=2"});
  EXPECT_EQ(moved.status, 307);
  EXPECT_EQ(Header(moved, "location"), "/file?v=2");
  EXPECT_EQ(ServeAsset(*set, {.method = "POST", .path = "/file"}).status, 405);
  EXPECT_EQ(ServeAsset(*set, {.method = "GET", .path = "/nothing"}).status, 404);
  // Served at the encoded path: a path that spells it otherwise is sent there.
  EXPECT_EQ(ServeAsset(*set, {.method = "GET", .path = "/a%20b"}).body, "spaced");
  AssetResponse bracket = ServeAsset(*set, {.method = "GET", .path = "/[x]"});
  EXPECT_EQ(bracket.status, 307);
  EXPECT_EQ(Header(bracket, "location"), "/%5Bx%5D");
  EXPECT_EQ(ServeAsset(*set, {.method = "GET", .path = "/%5Bx%5D"}).body, "bracket");
}

TEST_F(Serving, ASinglePageApplicationsMissesGoToTheWorkerUnlessTheyAreNavigations) {
  std::shared_ptr<const AssetSet> set = Load(NotFoundHandling::kSinglePageApplication);
  EXPECT_TRUE(AnswerAheadOfWorker(*set, {.method = "GET", .path = "/app.js"}).has_value());
  EXPECT_TRUE(AnswerAheadOfWorker(*set, {.method = "GET", .path = "/file.html"}).has_value());  // a redirect is an answer
  EXPECT_FALSE(AnswerAheadOfWorker(*set, {.method = "GET", .path = "/api/users"}).has_value());
  EXPECT_TRUE(AnswerAheadOfWorker(*set, {.method = "GET", .path = "/app/route", .navigate = true}).has_value());
  EXPECT_EQ(ServeAsset(*set, {.method = "GET", .path = "/app/route"}).body, "home");
}

TEST(RunWorkerFirst, PatternsAndExclusions) {
  config::AssetsConfig config;
  EXPECT_FALSE(RunsWorkerFirst(config, "/api/x"));
  config.worker_first = {"/api/*", "/login"};
  config.assets_first = {"/api/docs/*"};
  EXPECT_TRUE(RunsWorkerFirst(config, "/api/x"));
  EXPECT_TRUE(RunsWorkerFirst(config, "/api/x/y"));
  EXPECT_TRUE(RunsWorkerFirst(config, "/login"));
  EXPECT_FALSE(RunsWorkerFirst(config, "/login/"));
  EXPECT_FALSE(RunsWorkerFirst(config, "/api/docs/index.html"));
  EXPECT_FALSE(RunsWorkerFirst(config, "/app.js"));
  config.run_worker_first = true;
  EXPECT_TRUE(RunsWorkerFirst(config, "/app.js"));
}

}  // namespace
}  // namespace atl::assets
