// The installers' table (bindings/env_binding.h) against the parsers' (config/env_binding.h):
// every kind the config parser accepts can be put on env, in the same order. What each kind
// puts on env is worker_test's and tests/ (kv_namespace_test, multitenant_test, wasm_test).
#include "bindings/env_binding.h"

#include <gtest/gtest.h>

namespace atl::bindings {
namespace {

TEST(EnvInstallers, OneInstallerPerConfigKindInTheSameOrder) {
  const std::vector<config::EnvBindingKind>& kinds = config::EnvBindingKinds();
  const std::vector<EnvInstaller>& installers = EnvInstallers();
  ASSERT_EQ(installers.size(), kinds.size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(installers[i].kind, kinds[i].key) << i;
    // An installer of its own, or a lazy module's factory.
    EXPECT_TRUE(installers[i].install != nullptr || (!installers[i].module.empty() && !installers[i].factory.empty())) << i;
  }
}

}  // namespace
}  // namespace atl::bindings
