#pragma once
// Env binding kind `d1` (`[tenants.d1] DB = "prod-db"`): env.DB is a D1 database
// (https://developers.cloudflare.com/d1/) of that name, the tenant's own (bindings/env_d1.h).
// wrangler's `[[d1_databases]]` entries become these.

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseD1Binding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
