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
  // Then the kinds another tenant key makes: [tenants.assets]'s binding (config_assets.cc).
  const std::vector<std::string_view> made_elsewhere = {"assets"};
  ASSERT_EQ(installers.size(), kinds.size() + made_elsewhere.size());
  for (size_t i = 0; i < installers.size(); ++i) {
    EXPECT_EQ(installers[i].kind, i < kinds.size() ? kinds[i].key : made_elsewhere[i - kinds.size()]) << i;
    // An installer of its own, or a lazy module's factory.
    EXPECT_TRUE(installers[i].install != nullptr || (!installers[i].module.empty() && !installers[i].factory.empty())) << i;
  }
}

}  // namespace
}  // namespace atl::bindings
