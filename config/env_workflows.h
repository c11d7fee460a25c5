#pragma once
// Env binding kind `workflows` (`[tenants.workflows] FLOW = "OrderFlow"`): env.FLOW is a Workflow
// (https://developers.cloudflare.com/workflows/) of the class the tenant's own script exports
// under that name (bindings/env_workflows.h). wrangler's `[[workflows]]` entries become these.

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseWorkflowBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
