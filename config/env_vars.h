#pragma once
// Env binding kind `vars` (`[tenants.vars] NAME = "text"`): env.NAME is the string. Any other
// TOML/JSON value (LIMIT = 5, FLAG = true, a table) is env.NAME as that JS value (EnvBinding::json).

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseVarBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
