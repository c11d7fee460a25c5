#pragma once
// Wrangler's module rules (https://developers.cloudflare.com/workers/wrangler/bundling/): which
// imported files are not JavaScript, and what a module made of one is. The tenant key `rules`
// takes wrangler's shape (`rules = [{type = "Text", globs = ["**/*.md"], fallthrough = true}]`);
// the tenant's rules come first, then wrangler's defaults (Text: **/*.txt, **/*.html; Data:
// **/*.bin; CompiledWasm: **/*.wasm, **/*.wasm?module), and a rule without `fallthrough = true`
// removes the later rules of its type (a file matching only such a removed rule is an error, as
// in wrangler). After those, what wrangler's bundler does by itself: **/*.js and **/*.mjs are
// ES modules, **/*.json is JSON. A file no rule matches cannot be imported.
//
//   ModuleRules rules(tenant.rules);
//   absl::StatusOr<ModuleType> type = rules.TypeOf("assets/page.html");  // kText

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::config {

// What a module made of a file is. kJson is not a rule type (wrangler's bundler does it).
enum class ModuleType { kESModule, kText, kData, kCompiledWasm, kJson };

struct ModuleRule {
  ModuleType type = ModuleType::kESModule;
  std::vector<std::string> globs;  // matched against the path relative to the script's folder
  bool fallthrough = false;
};

// "ESModule", "Text", "Data", "CompiledWasm"; the error says why (CommonJS: not supported).
absl::StatusOr<ModuleType> ParseModuleType(std::string_view name);
std::string_view ModuleTypeName(ModuleType type);

// Whether `path` ("a/b.txt") matches `glob` as wrangler matches (glob-to-regexp with globstar):
// `*` is any run of characters but '/', `**/` any number of whole folders, anything else itself.
bool GlobMatches(std::string_view glob, std::string_view path);

// A tenant's rules after wrangler's defaults and fallthrough pruning.
class ModuleRules {
 public:
  explicit ModuleRules(const std::vector<ModuleRule>& tenant_rules = {});

  // The type of the file at `relative_path` (relative to the script's folder, '/'-separated);
  // an error when no rule matches or only a removed one does (the message says what to add).
  absl::StatusOr<ModuleType> TypeOf(std::string_view relative_path) const;

 private:
  std::vector<ModuleRule> rules_;    // in the order they are tried
  std::vector<ModuleRule> removed_;  // pruned by an earlier rule of the same type
};

}  // namespace atl::config
