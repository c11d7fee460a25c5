#include "config/env_secrets.h"

#include "base/strings.h"
#include "config/names.h"

namespace atl::config {

absl::StatusOr<std::string> ParseSecretBinding(const EnvValue& value, const EnvParseContext& context) {
  absl::StatusOr<std::unique_ptr<EnvValue>> field = value.OnlyField("env", "a table like { env = \"VARIABLE\" }");
  if (!field.ok()) return field.status();
  absl::StatusOr<std::string> var = (*field)->String();
  if (!var.ok()) return var.status();
  if (!IsEnvName(*var)) {
    return (*field)->Error(base::StrCat("\"", *var, "\" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"));
  }
  if (*var == context.admin_token_env) {
    return (*field)->Error(
        base::StrCat("\"", *var, "\" holds the admin API's token (admin_token_env): no tenant may read it"));
  }
  std::optional<std::string> secret = context.env != nullptr ? (*context.env)(*var) : std::nullopt;
  if (!secret.has_value()) return value.Error(base::StrCat("environment variable ", *var, " is not set"));
  return *std::move(secret);
}

}  // namespace atl::config
