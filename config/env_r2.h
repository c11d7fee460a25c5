#pragma once
// Env binding kind `r2` (`[tenants.r2] BUCKET = "photos"`): env.BUCKET is an R2 bucket
// (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/) of that name, the
// tenant's own (bindings/js/lazy/r2.js). wrangler's `[[r2_buckets]]` entries become these
// (config/wrangler_r2.h).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

// R2's bucket name rule: 3-63 lower-case letters, digits and '-', starting and ending with a
// letter or digit.
bool IsBucketName(std::string_view name);

// The bucket's name.
absl::StatusOr<std::string> ParseR2Binding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
