#include "config/env_secrets.h"

#include "base/strings.h"

namespace atl::config {
namespace {

bool IsEnvName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

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
