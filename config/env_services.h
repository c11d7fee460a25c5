#pragma once
// Env binding kind `services` (`[tenants.services] NAME = "tenant"`): env.NAME.fetch() calls
// that tenant of the same file without a socket (bindings/env_services.h).

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseServiceBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
