#include "config/env_kv.h"

#include "base/strings.h"
#include "config/names.h"

namespace atl::config {

absl::StatusOr<std::string> ParseKvBinding(const EnvValue& value, const EnvParseContext&) {
  absl::StatusOr<std::string> ns = value.String();
  if (!ns.ok()) return ns.status();
  if (!MatchesName(*ns, /*allow_underscore=*/true)) return value.Error(base::StrCat("KV namespace \"", *ns, "\" must match [a-z0-9_-]{1,63}"));
  return ns;
}

}  // namespace atl::config
