#include "config/module_rules.h"

#include <gtest/gtest.h>

namespace atl::config {
namespace {

TEST(GlobMatches, StarsAndGlobstars) {
  EXPECT_TRUE(GlobMatches("**/*.txt", "a.txt"));
  EXPECT_TRUE(GlobMatches("**/*.txt", "deep/er/a.txt"));
  EXPECT_FALSE(GlobMatches("**/*.txt", "a.txt.js"));
  EXPECT_FALSE(GlobMatches("*.txt", "dir/a.txt"));
  EXPECT_TRUE(GlobMatches("*.txt", "a.txt"));
  EXPECT_TRUE(GlobMatches("assets/**", "assets/x/y.bin"));
  EXPECT_FALSE(GlobMatches("assets/**", "other/x.bin"));
  EXPECT_TRUE(GlobMatches("**/*.wasm?module", "lib/m.wasm?module"));
  EXPECT_FALSE(GlobMatches("**/*.wasm?module", "lib/m.wasmXmodule"));  // '?' is itself, as in wrangler
  EXPECT_TRUE(GlobMatches("a/**/b.md", "a/b.md"));
  EXPECT_TRUE(GlobMatches("a/**/b.md", "a/x/y/b.md"));
}

TEST(ModuleRules, WranglersDefaultsAndTheBundlersOwn) {
  ModuleRules rules;
  EXPECT_EQ(*rules.TypeOf("page.html"), ModuleType::kText);
  EXPECT_EQ(*rules.TypeOf("a/note.txt"), ModuleType::kText);
  EXPECT_EQ(*rules.TypeOf("blob.bin"), ModuleType::kData);
  EXPECT_EQ(*rules.TypeOf("add.wasm"), ModuleType::kCompiledWasm);
  EXPECT_EQ(*rules.TypeOf("add.wasm?module"), ModuleType::kCompiledWasm);
  EXPECT_EQ(*rules.TypeOf("lib.js"), ModuleType::kESModule);
  EXPECT_EQ(*rules.TypeOf("lib.mjs"), ModuleType::kESModule);
  EXPECT_EQ(*rules.TypeOf("data.json"), ModuleType::kJson);
  absl::StatusOr<ModuleType> none = rules.TypeOf("x.yaml");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no module rule matches \"x.yaml\""), std::string::npos) << none.status();
}

TEST(ModuleRules, TenantRulesFirstAndFallthrough) {
  // A Text rule without fallthrough removes wrangler's default Text rule: .txt then matches only a
  // removed rule, an error that says what to do.
  ModuleRules closing({{ModuleType::kText, {"**/*.md"}, false}, {ModuleType::kData, {"**/*.txt"}, false}});
  EXPECT_EQ(*closing.TypeOf("readme.md"), ModuleType::kText);
  EXPECT_EQ(*closing.TypeOf("raw.txt"), ModuleType::kData);  // the tenant's Data rule comes first
  absl::StatusOr<ModuleType> html = closing.TypeOf("page.html");
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.status().message().find("fallthrough = true"), std::string::npos) << html.status();
  EXPECT_FALSE(closing.TypeOf("blob.bin").ok());  // the default Data rule went too

  ModuleRules open({{ModuleType::kText, {"**/*.md"}, true}});
  EXPECT_EQ(*open.TypeOf("readme.md"), ModuleType::kText);
  EXPECT_EQ(*open.TypeOf("page.html"), ModuleType::kText);
  EXPECT_EQ(*open.TypeOf("blob.bin"), ModuleType::kData);
}

TEST(ModuleRules, TypeNames) {
  EXPECT_EQ(*ParseModuleType("CompiledWasm"), ModuleType::kCompiledWasm);
  EXPECT_FALSE(ParseModuleType("CommonJS").ok());
  EXPECT_FALSE(ParseModuleType("JSON").ok());  // not a wrangler rule type
  EXPECT_EQ(ModuleTypeName(ModuleType::kData), "Data");
}

}  // namespace
}  // namespace atl::config
