#pragma once
// Env binding kind `durable_objects` (config/env_durable_objects.h): env.NAME is lazy module
// `durable_objects`' newNamespace(className) (bindings/durable_objects.h).

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallDurableObjectBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
