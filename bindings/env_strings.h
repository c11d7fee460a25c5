#pragma once
// Env binding kinds `vars` and `secrets` (config/env_vars.h, config/env_secrets.h): env.NAME is
// the configured string.

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallStringBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
