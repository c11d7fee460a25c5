#include "config/module_rules.h"

#include <algorithm>

#include "base/strings.h"

namespace atl::config {
namespace {

using base::StrCat;

struct TypeName {
  ModuleType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {ModuleType::kESModule, "ESModule"},
    {ModuleType::kText, "Text"},
    {ModuleType::kData, "Data"},
    {ModuleType::kCompiledWasm, "CompiledWasm"},
    {ModuleType::kJson, "JSON"},
};

// Matches `glob` from glob[g] against path[p] (backtracking over `*` and `**/`).
bool Match(std::string_view glob, size_t g, std::string_view path, size_t p) {
  while (g < glob.size()) {
    if (glob.substr(g).starts_with("**/")) {
      // Zero or more whole folders, then the rest.
      for (size_t q = p;; ++q) {
        if ((q == p || path[q - 1] == '/') && Match(glob, g + 3, path, q)) return true;
        if (q >= path.size()) return false;
      }
    }
    if (glob.substr(g).starts_with("**")) {
      for (size_t q = path.size() + 1; q-- > p;) {
        if (Match(glob, g + 2, path, q)) return true;
      }
      return false;
    }
    if (glob[g] == '*') {
      for (size_t q = p;; ++q) {
        if (Match(glob, g + 1, path, q)) return true;
        if (q >= path.size() || path[q] == '/') return false;
      }
    }
    if (p >= path.size() || glob[g] != path[p]) return false;
    ++g;
    ++p;
  }
  return p == path.size();
}

bool Matches(const ModuleRule& rule, std::string_view path) {
  for (const std::string& glob : rule.globs) {
    if (GlobMatches(glob, path)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ModuleType> ParseModuleType(std::string_view name) {
  if (name == "CommonJS") {
    return absl::InvalidArgumentError(
        "CommonJS modules are not supported: atoll loads ES modules only (bundle with esbuild --format=esm, as "
        "wrangler does by default)");
  }
  for (const TypeName& t : kTypeNames) {
    if (t.name == name && t.type != ModuleType::kJson) return t.type;
  }
  return absl::InvalidArgumentError(
      StrCat("unknown module rule type \"", name, "\" (expected one of: ESModule, Text, Data, CompiledWasm)"));
}

std::string_view ModuleTypeName(ModuleType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "?";
}

bool GlobMatches(std::string_view glob, std::string_view path) { return Match(glob, 0, path, 0); }

ModuleRules::ModuleRules(const std::vector<ModuleRule>& tenant_rules) {
  std::vector<ModuleRule> all = tenant_rules;
  all.push_back({ModuleType::kText, {"**/*.txt", "**/*.html"}, false});
  all.push_back({ModuleType::kData, {"**/*.bin"}, false});
  all.push_back({ModuleType::kCompiledWasm, {"**/*.wasm", "**/*.wasm?module"}, false});
  // As wrangler's parseRules: the first rule of a type without fallthrough closes the type.
  std::vector<ModuleType> closed;
  for (ModuleRule& rule : all) {
    if (std::find(closed.begin(), closed.end(), rule.type) != closed.end()) {
      removed_.push_back(std::move(rule));
      continue;
    }
    if (!rule.fallthrough) closed.push_back(rule.type);
    rules_.push_back(std::move(rule));
  }
  // What the bundler does with what no rule claims; never pruned.
  rules_.push_back({ModuleType::kESModule, {"**/*.js", "**/*.mjs"}, true});
  rules_.push_back({ModuleType::kJson, {"**/*.json"}, true});
}

absl::StatusOr<ModuleType> ModuleRules::TypeOf(std::string_view relative_path) const {
  for (const ModuleRule& rule : rules_) {
    if (Matches(rule, relative_path)) return rule.type;
  }
  for (const ModuleRule& rule : removed_) {
    if (Matches(rule, relative_path)) {
      return absl::InvalidArgumentError(StrCat(
          "it matches a ", ModuleTypeName(rule.type), " module rule that an earlier ", ModuleTypeName(rule.type),
          " rule without `fallthrough = true` removed (add fallthrough = true to that rule)"));
    }
  }
  return absl::InvalidArgumentError(StrCat(
      "no module rule matches \"", relative_path,
      "\" (imports are .js/.mjs, .json, or a file of a module rule: .txt/.html Text, .bin Data, .wasm CompiledWasm; "
      "add one with the tenant key rules = [{type = \"Text\", globs = [\"**/*.md\"]}])"));
}

}  // namespace atl::config
