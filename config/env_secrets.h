#pragma once
// Env binding kind `secrets` (`[tenants.secrets] NAME = { env = "VARIABLE" }`): env.NAME is the
// value of the server's environment variable VARIABLE, read when the config is parsed; the
// variable holding the admin token is refused.

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseSecretBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
