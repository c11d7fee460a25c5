#include "server/tenant_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/admin_api.h"

namespace atl::server {
namespace {

TEST(TenantStore, StageCommitLoadAndRemove) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("atoll-store-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  TenantStore store(dir);
  auto staged = store.Stage("x", R"({"script": "export default { fetch() { return new Response('1') } }", "routes": ["*/x/*"], "cpu_ms": 7})", {});
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(staged->version, 1u);
  EXPECT_EQ(staged->config.settings.cpu_ms, 7u);
  ASSERT_TRUE(store.Commit(*staged).ok());
  auto again = store.Stage("x", R"({"script": "2", "routes": ["*/x/*"]})", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2u);
  EXPECT_NE(again->etag, staged->etag);
  store.Discard(*again);

  auto bad = store.Stage("x", R"({"script": "x", "routes": ["no/a*b"]})", {});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("routes[0]"), std::string::npos) << bad.status();

  auto loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->tenants.size(), 1u);
  EXPECT_EQ(loaded->tenants[0].name, "x");
  EXPECT_EQ(loaded->versions[0], 1u);
  EXPECT_EQ(loaded->etags[0], staged->etag);

  ASSERT_TRUE(store.Remove("x").ok());
  loaded = store.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->tenants.empty());
  EXPECT_EQ(loaded->deleted, std::vector<std::string>{"x"});
  std::filesystem::remove_all(dir);
}

// Issue 12 item 15: a deploy's wasm stays in its folder; its bytes may come inline.
TEST(TenantStore, DeployWasmIsInlineOrConfinedToTheFolder) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("atoll-store-wasm-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  TenantStore store(dir, "MY_ADMIN_TOKEN");
  for (const char* path : {"/etc/passwd", "../y/v1.js", "a/../../x.wasm", ""}) {
    auto bad = store.Stage("x", std::string(R"({"script": "1", "wasm": {"M": ")") + path + R"("}})", {});
    ASSERT_FALSE(bad.ok()) << path;
    EXPECT_NE(bad.status().message().find("relative to the deploy's folder"), std::string::npos) << bad.status();
  }
  auto inline_module = store.Stage("x", R"({"script": "1", "wasm": {"M": {"base64": "AGFzbQEAAAA="}}})", {});
  ASSERT_TRUE(inline_module.ok()) << inline_module.status();
  ASSERT_EQ(inline_module->config.Bindings("wasm").size(), 1u);
  EXPECT_EQ(std::filesystem::path(inline_module->config.Bindings("wasm")[0].second).filename(), "v1.M.wasm");
  ASSERT_TRUE(store.Commit(*inline_module).ok());
  auto next = store.Stage("x", R"({"script": "2"})", {});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->version, 2u);
  ASSERT_TRUE(store.Commit(*next).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "x" / "v1.M.wasm"));  // the previous version stays one deploy longer
  auto third = store.Stage("x", R"({"script": "3"})", {});
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_TRUE(store.Commit(*third).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "x" / "v1.M.wasm"));  // an older version's module goes with it
  EXPECT_FALSE(std::filesystem::exists(dir / "x" / "v1.js"));
  EXPECT_TRUE(std::filesystem::exists(dir / "x" / "v2.js"));

  auto secret = store.Stage("x", R"({"script": "1", "secrets": {"S": {"env": "MY_ADMIN_TOKEN"}}})", {});
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.status().message().find("admin_token_env"), std::string::npos) << secret.status();
  std::string script;
  EXPECT_FALSE(config::TenantJsonToToml(R"({"script": "1", "wasm": {"M": "m.wasm"}})", &script, nullptr).ok());
  std::filesystem::remove_all(dir);
}

TEST(BearerMatches, OnlyTheExactToken) {
  EXPECT_TRUE(BearerMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(BearerMatches("bearer s3cret", "s3cret"));
  EXPECT_FALSE(BearerMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(BearerMatches("Bearer s3cret ", "s3cret"));
  EXPECT_FALSE(BearerMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(BearerMatches("", "s3cret"));
  EXPECT_FALSE(BearerMatches("Bearer ", ""));
}

}  // namespace
}  // namespace atl::server
