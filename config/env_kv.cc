#include "config/env_kv.h"

#include "base/strings.h"

namespace atl::config {

absl::StatusOr<std::string> ParseKvBinding(const EnvValue& value, const EnvParseContext&) {
  absl::StatusOr<std::string> ns = value.String();
  if (!ns.ok()) return ns.status();
  bool ok = !ns->empty() && ns->size() <= 63;
  for (char c : *ns) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  if (!ok) return value.Error(base::StrCat("KV namespace \"", *ns, "\" must match [a-z0-9_-]{1,63}"));
  return ns;
}

}  // namespace atl::config
