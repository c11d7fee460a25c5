#pragma once
// Env binding kind `workflows` (config/env_workflows.h): env.NAME is lazy module `workflows`'
// newWorkflow(className), whose instances are Durable Objects (js/lazy/workflows.js).

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallWorkflowBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
