#include "config/env_binding.h"

#include "config/env_d1.h"
#include "config/env_durable_objects.h"
#include "config/env_kv.h"
#include "config/env_secrets.h"
#include "config/env_services.h"
#include "config/env_vars.h"
#include "config/env_wasm.h"
#include "config/env_workflows.h"

namespace atl::config {

const std::vector<EnvBindingKind>& EnvBindingKinds() {
  static const std::vector<EnvBindingKind> kinds = {
      {"vars", ParseVarBinding, /*any_json=*/true},
      {"secrets", ParseSecretBinding},
      {"kv", ParseKvBinding},
      {"wasm", ParseWasmBinding},
      {"services", ParseServiceBinding},
      {"durable_objects", ParseDurableObjectBinding},
      {"workflows", ParseWorkflowBinding},
      {"d1", ParseD1Binding},
  };
  return kinds;
}

const EnvBindingKind* FindEnvBindingKind(std::string_view key) {
  for (const EnvBindingKind& kind : EnvBindingKinds()) {
    if (kind.key == key) return &kind;
  }
  return nullptr;
}

std::string EnvBindingKeys() {
  std::string keys;
  for (const EnvBindingKind& kind : EnvBindingKinds()) {
    if (!keys.empty()) keys += ", ";
    keys += kind.key;
  }
  return keys;
}

}  // namespace atl::config
