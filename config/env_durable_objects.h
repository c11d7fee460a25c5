#pragma once
// Env binding kind `durable_objects` (`[tenants.durable_objects] ROOM = "ChatRoom"`): env.ROOM is a
// Durable Object namespace of the class the tenant's own script exports under that name
// (bindings/durable_objects.h).

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseDurableObjectBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
