#include "server/tenant_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/admin_api.h"

namespace atl::server {
namespace {

TEST(TenantJsonToToml, KeysBecomeTomlAndTheScriptIsTakenOut) {
  std::string script;
  std::vector<std::string> services;
  absl::StatusOr<std::string> toml = TenantJsonToToml(
      R"({"script": "export default {}\n// \u00e9 \"q\" \/", "routes": ["a.com/*"], "memory_mb": 32,
          "vars": {"K": "v\tw"}, "services": {"AUTH": "auth"}, "per": true})",
      &script, &services);
  ASSERT_TRUE(toml.ok()) << toml.status();
  EXPECT_EQ(script, "export default {}\n// \xc3\xa9 \"q\" /");
  EXPECT_EQ(*toml, "\"routes\" = [\"a.com/*\"]\n\"memory_mb\" = 32\n\"vars\" = { \"K\" = \"v\\tw\" }\n"
                   "\"services\" = { \"AUTH\" = \"auth\" }\n\"per\" = true\n");
  EXPECT_EQ(services, std::vector<std::string>{"auth"});
}

TEST(TenantJsonToToml, RejectsMalformedBodies) {
  std::string script;
  for (const char* bad : {"", "[]", "{\"script\": 1}", "{\"routes\": []}", "{\"script\": \"x\", \"a\": null}",
                          "{\"script\": \"x\"} x", "{\"script\": \"x\",}", "{\"script\": \"\\q\"}"}) {
    EXPECT_FALSE(TenantJsonToToml(bad, &script, nullptr).ok()) << bad;
  }
}

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
