#pragma once
// Env binding kind `kv` (`[tenants.kv] NAME = "namespace"`): env.NAME is the KV namespace of that
// name ([a-z0-9_-]{1,63}; bindings/env_kv.h, kv/).

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseKvBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
