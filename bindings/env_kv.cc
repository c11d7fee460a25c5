#include "bindings/env_kv.h"

namespace atl::bindings {

absl::Status InstallKvBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
  for (const EnvEntry& entry : entries) {
    bindings.emplace_back(entry.binding->name, v8::Integer::NewFromUnsigned(setup.isolate(), entry.index));
  }
  return setup.BindFromModule("kv", "newNamespace", bindings);
}

}  // namespace atl::bindings
