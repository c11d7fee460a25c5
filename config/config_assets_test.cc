// [tenants.assets] (assets_config.h) and wrangler's [assets] (wrangler_assets.h): what is read,
// what is refused, with the key named.
#include "config/config_test_fixture.h"
#include "config/wrangler.h"

namespace atl::config {
namespace {

constexpr char kSite[] = "[[tenants]]\nname = \"site\"\nscript = \"hello.js\"\n[tenants.assets]\ndirectory = \"public\"\n";

TEST_F(ConfigTest, AssetsAreReadWithTheirSettings) {
  Write("public/index.html", "x");
  absl::StatusOr<Config> config =
      Parse(std::string(kSite) + "binding = \"ASSETS\"\nhtml_handling = \"drop-trailing-slash\"\n"
                                 "not_found_handling = \"404-page\"\nrun_worker_first = [\"/api/*\", \"!/api/docs/*\"]\n");
  ASSERT_TRUE(config.ok()) << config.status();
  const TenantConfig& tenant = config->tenants[0];
  ASSERT_TRUE(tenant.assets.has_value());
  EXPECT_EQ(tenant.assets->directory, dir_ / "public");
  EXPECT_EQ(tenant.assets->binding, "ASSETS");
  EXPECT_EQ(tenant.assets->html_handling, HtmlHandling::kDropTrailingSlash);
  EXPECT_EQ(tenant.assets->not_found_handling, NotFoundHandling::kPage404);
  EXPECT_FALSE(tenant.assets->run_worker_first);
  EXPECT_EQ(tenant.assets->worker_first, std::vector<std::string>{"/api/*"});
  EXPECT_EQ(tenant.assets->assets_first, std::vector<std::string>{"/api/docs/*"});
  ASSERT_EQ(tenant.env.size(), 1u);  // the binding is an env binding of kind "assets"
  EXPECT_EQ(tenant.env[0], (EnvBinding{"assets", "ASSETS", "", false}));
  // Without a script: a tenant of assets alone.
  config = Parse("[[tenants]]\nname = \"static\"\n[tenants.assets]\ndirectory = \"public\"\nrun_worker_first = true\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tenants[0].script.empty());
  EXPECT_TRUE(config->tenants[0].assets->run_worker_first);
  EXPECT_TRUE(config->tenants[0].env.empty());
}

TEST_F(ConfigTest, BadAssetsSettingsAreRefusedWithTheirKey) {
  Write("public/index.html", "x");
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "html_handling = \"maybe\"\n", 6, "tenants[0].assets.html_handling",
                      "unknown html_handling \"maybe\""));
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "not_found_handling = \"spa\"\n", 6, "tenants[0].assets.not_found_handling",
                      "expected none, 404-page or single-page-application"));
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "run_worker_first = [\"api/*\"]\n", 6, "tenants[0].assets.run_worker_first[0]",
                      "must start with \"/\""));
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "run_worker_first = 1\n", 6, "tenants[0].assets.run_worker_first"));
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "serve_directly = true\n", 6, "tenants[0].assets.serve_directly", "unknown key"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"site\"\nscript = \"hello.js\"\n[tenants.assets]\ndirectory = \"hello.js\"\n", 5,
                      "tenants[0].assets.directory", "is not a folder"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"site\"\nscript = \"hello.js\"\n[tenants.assets]\nbinding = \"A\"\n", 4,
                      "tenants[0].assets", "missing required key \"directory\""));
  // The binding's name is a binding name like any other.
  EXPECT_TRUE(ErrorAt(std::string(kSite) + "binding = \"X\"\n[tenants.vars]\nX = \"1\"\n", 8, "tenants[0].vars.X",
                      "binding name \"X\" is already used by tenants[0].assets.binding"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"site\"\n", 1, "tenants[0]", "missing required key \"script\" (or \"assets\")"));
}

TEST_F(ConfigTest, WranglerAssetsWithAndWithoutMain) {
  Write("p/dist/index.html", "x");
  Write("p/src/index.js", "export default {}");
  Write("p/wrangler.toml", R"(name = "app"
main = "src/index.js"
[assets]
directory = "./dist"
binding = "ASSETS"
not_found_handling = "single-page-application"
run_worker_first = ["/api/*"]
experimental_serve_directly = true
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({(dir_ / "p/wrangler.toml").string()}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->tenants[0].assets.has_value());
  EXPECT_EQ(config->tenants[0].assets->directory, dir_ / "p/dist");
  EXPECT_EQ(config->tenants[0].assets->not_found_handling, NotFoundHandling::kSinglePageApplication);
  EXPECT_EQ(config->tenants[0].assets->worker_first, std::vector<std::string>{"/api/*"});
  EXPECT_EQ(config->tenants[0].env[0].name, "ASSETS");
  Write("q/public/a.txt", "x");
  Write("q/wrangler.toml", "name = \"static\"\n[assets]\ndirectory = \"public\"\n");
  config = LoadWranglerFiles({(dir_ / "q/wrangler.toml").string()}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tenants[0].script.empty());
  for (auto [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[assets]\nbinding = \"A\"\n", "assets.directory: missing required key"},
           {"[assets]\ndirectory = \"public\"\nrun_worker_first = 3\n", "assets.run_worker_first: expected true, false"},
           {"[assets]\ndirectory = \"public\"\nheaders = 1\n", "assets.headers: unknown key"},
           {"[assets]\ndirectory = \"missing\"\n", "is not a folder"}}) {
    Write("q/wrangler.toml", "name = \"static\"\n" + text);
    absl::StatusOr<Config> refused = LoadWranglerFiles({(dir_ / "q/wrangler.toml").string()}, [](std::string_view) { return std::nullopt; });
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(expected), std::string_view::npos) << refused.status();
  }
}

}  // namespace
}  // namespace atl::config
