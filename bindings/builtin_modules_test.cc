// The built-in module table (builtin_modules.h): every line names a lazy module that exists, and
// Node's modules answer only to tenants with nodejs_compat (or nodejs_compat_v2).
#include "bindings/builtin_modules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "bindings/lazy_modules.h"

namespace atl::bindings {
namespace {

TEST(BuiltinModules, EveryLineNamesABundledLazyModule) {
  std::set<std::string_view> specifiers;
  for (const BuiltinModule& module : BuiltinModuleTable()) {
    if (module.specifier.empty()) continue;
    EXPECT_TRUE(specifiers.insert(module.specifier).second) << "twice: " << module.specifier;
    EXPECT_FALSE(LazyModuleSource(module.lazy_module).empty()) << module.specifier << " -> " << module.lazy_module;
  }
  for (std::string_view name : {"node:buffer", "buffer", "node:events", "node:stream/promises", "node:zlib",
                                "node:async_hooks", "node:process", "diagnostics_channel"}) {
    EXPECT_TRUE(specifiers.contains(name)) << name;
  }
}

TEST(BuiltinModules, NodejsCompatV2CountsAsNodejsCompat) {
  EXPECT_TRUE(HasCompatibilityFlag({"nodejs_compat"}, "nodejs_compat"));
  EXPECT_TRUE(HasCompatibilityFlag({"x", "nodejs_compat_v2"}, "nodejs_compat"));
  EXPECT_FALSE(HasCompatibilityFlag({}, "nodejs_compat"));
  EXPECT_FALSE(HasCompatibilityFlag({"nodejs_compat_v2"}, "nodejs_compat_do_not_populate_process_env"));
}

}  // namespace
}  // namespace atl::bindings
