#include "assets/asset_set.h"

#include "assets/asset_set_test.h"
#include "assets/assets_ignore.h"
#include "assets/content_types.h"

namespace atl::assets {
namespace {

TEST(AssetSet, ReadsEveryFileWithItsTypeAndEtag) {
  AssetFolder folder;
  folder.Write("index.html", "<h1>home</h1>").Write("css/site.css", "body{}").Write("img/logo.PNG", "\x89PNG");
  folder.Write("copy.html", "<h1>home</h1>");
  std::shared_ptr<const AssetSet> set = folder.Load();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->size(), 4u);
  const Asset* index = set->Find("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body, "<h1>home</h1>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->etag.size(), 32u);
  EXPECT_EQ(set->Find("/copy.html")->etag, index->etag);  // the content's hash
  EXPECT_NE(set->Find("/css/site.css")->etag, index->etag);
  EXPECT_EQ(set->Find("/css/site.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(set->Find("/img/logo.PNG")->content_type, "image/png");
  EXPECT_EQ(set->Find("/nothing"), nullptr);
  EXPECT_EQ(set->Find("index.html"), nullptr);  // paths start with "/"
}

TEST(AssetSet, LeavesOutWhatAssetsignoreNamesAndWhatWorkersNeverServes) {
  AssetFolder folder;
  folder.Write(".assetsignore", "# build leftovers\n*.map\n/drafts/\nsecret.txt\n!keep.map\n");
  folder.Write("_headers", "/*\n  X-A: b\n").Write("_redirects", "/a /b 301\n");
  folder.Write("app.js", "1").Write("app.js.map", "{}").Write("keep.map", "{}");
  folder.Write("drafts/post.html", "x").Write("blog/drafts/post.html", "y");
  folder.Write("secret.txt", "s").Write("deep/secret.txt", "s");
  std::shared_ptr<const AssetSet> set = folder.Load();
  ASSERT_NE(set, nullptr);
  EXPECT_NE(set->Find("/app.js"), nullptr);
  EXPECT_EQ(set->Find("/app.js.map"), nullptr);
  EXPECT_NE(set->Find("/keep.map"), nullptr);
  EXPECT_EQ(set->Find("/drafts/post.html"), nullptr);       // anchored at the root
  EXPECT_NE(set->Find("/blog/drafts/post.html"), nullptr);  // ... so not this one
  EXPECT_EQ(set->Find("/secret.txt"), nullptr);             // a bare name: any depth
  EXPECT_EQ(set->Find("/deep/secret.txt"), nullptr);
  EXPECT_EQ(set->Find("/.assetsignore"), nullptr);
  EXPECT_EQ(set->Find("/_headers"), nullptr);
  EXPECT_EQ(set->Find("/_redirects"), nullptr);
}

TEST(AssetSet, RefusesWhatIsPastALimitNamingIt) {
  AssetFolder folder;
  folder.Write("a.bin", std::string(2000, 'a')).Write("b.bin", "b").Write("c.bin", "c");
  config::AssetsConfig config;
  config.directory = folder.root();
  absl::StatusOr<std::shared_ptr<const AssetSet>> set = AssetSet::Load(config, {.max_files = 2});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("more than 2 files"), std::string::npos) << set.status();
  set = AssetSet::Load(config, {.max_file_bytes = 1000});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("a.bin: 2000 bytes"), std::string::npos) << set.status();
  config.directory = folder.root() / "missing";
  EXPECT_FALSE(AssetSet::Load(config).ok());
}

TEST(IgnoreRules, FollowsGitignoreSyntax) {
  IgnoreRules rules = IgnoreRules::Parse("node_modules/\n**/*.log\ndocs/*.md\n\\#hash\n  \n");
  EXPECT_TRUE(rules.Ignored("node_modules", true));
  EXPECT_FALSE(rules.Ignored("node_modules", false));  // a file of that name: folders only
  EXPECT_TRUE(rules.Ignored("a/b/c.log", false));
  EXPECT_TRUE(rules.Ignored("c.log", false));
  EXPECT_TRUE(rules.Ignored("docs/a.md", false));
  EXPECT_FALSE(rules.Ignored("docs/sub/a.md", false));  // `*` stays in its folder
  EXPECT_FALSE(rules.Ignored("other/docs/a.md", false));
  EXPECT_TRUE(rules.Ignored("#hash", false));
}

TEST(ContentTypes, ComeFromTheExtension) {
  EXPECT_EQ(ContentTypeOf("a/b/app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("data.json"), "application/json");
  EXPECT_EQ(ContentTypeOf("font.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeOf("x.unknown"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf("Makefile"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf(".hidden"), "application/octet-stream");
}

}  // namespace
}  // namespace atl::assets
