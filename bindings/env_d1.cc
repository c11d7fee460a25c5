#include "bindings/env_d1.h"

#include "isolates/v8_util.h"

namespace atl::bindings {

absl::Status InstallD1Bindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
  for (const EnvEntry& entry : entries) {
    bindings.emplace_back(entry.binding->name, isolates::NewString(setup.isolate(), entry.binding->value));
  }
  return setup.BindFromModule("d1", "newDatabase", bindings);
}

}  // namespace atl::bindings
