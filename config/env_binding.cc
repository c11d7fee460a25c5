#include "config/env_binding.h"

#include "base/json_reader.h"
#include "base/strings.h"
#include "config/env_d1.h"
#include "config/env_durable_objects.h"
#include "config/env_kv.h"
#include "config/env_queues.h"
#include "config/env_r2.h"
#include "config/env_secrets.h"
#include "config/env_services.h"
#include "config/env_vars.h"
#include "config/env_wasm.h"

namespace atl::config {

const std::vector<EnvBindingKind>& EnvBindingKinds() {
  static const std::vector<EnvBindingKind> kinds = {
      {"vars", ParseVarBinding, /*any_json=*/true},
      {"secrets", ParseSecretBinding},
      {"kv", ParseKvBinding},
      {"wasm", ParseWasmBinding},
      {"services", ParseServiceBinding},
      {"durable_objects", ParseDurableObjectBinding},
      // A Workflow's instances are Durable Objects of an engine class named after the Workflow's
      // class (bindings/js/lazy/workflows.js): the same rule for the name.
      {"workflows", ParseDurableObjectBinding},
      {"d1", ParseD1Binding},
      {"queues", ParseQueueBinding},
      {"queue_consumers", ParseQueueConsumer},
      {"r2", ParseR2Binding},
  };
  return kinds;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StringFields(const EnvValue& value,
                                                                             const std::vector<std::string_view>& keys,
                                                                             std::string_view shape) {
  absl::StatusOr<std::string> json = value.Json();
  if (!json.ok()) return value.Error(shape);
  absl::StatusOr<base::JsonValue> table = base::ParseJson(*json);
  if (!table.ok() || !table->IsObject()) return value.Error(shape);
  std::vector<std::pair<std::string, std::string>> out;
  for (const base::JsonMember& member : table->members) {
    bool known = false;
    for (std::string_view key : keys) known = known || member.first == key;
    if (member.second.type != base::JsonValue::Type::kString || !known) {
      return value.Error(base::StrCat("unknown or unsupported key \"", member.first, "\" (", shape, ")"));
    }
    out.emplace_back(member.first, member.second.Str());
  }
  return out;
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
