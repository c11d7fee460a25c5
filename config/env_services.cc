#include "config/env_services.h"

#include "base/strings.h"

namespace atl::config {

absl::StatusOr<std::string> ParseServiceBinding(const EnvValue& value, const EnvParseContext& context) {
  absl::StatusOr<std::string> target = value.String();
  if (!target.ok()) return target.status();
  if (context.tenant_names == nullptr || context.tenant_names->count(*target) == 0) {
    return value.Error(base::StrCat("no tenant is named \"", *target, "\""));
  }
  return target;
}

}  // namespace atl::config
