#include "config/env_vars.h"

namespace atl::config {

absl::StatusOr<std::string> ParseVarBinding(const EnvValue& value, const EnvParseContext&) { return value.String(); }

}  // namespace atl::config
