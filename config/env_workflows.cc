#include "config/env_workflows.h"

#include "config/env_durable_objects.h"

namespace atl::config {

// A Workflow's instances are Durable Objects of an engine class named after the Workflow's
// class, so the name follows the same rule (an export name, a folder of data_dir/do/).
absl::StatusOr<std::string> ParseWorkflowBinding(const EnvValue& value, const EnvParseContext& context) {
  return ParseDurableObjectBinding(value, context);
}

}  // namespace atl::config
