#include "bindings/env_strings.h"

#include "isolates/v8_util.h"

namespace atl::bindings {

absl::Status InstallStringBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  for (const EnvEntry& entry : entries) {
    setup.env()
        ->Set(setup.context(), isolates::NewString(setup.isolate(), entry.binding->name),
              isolates::NewString(setup.isolate(), entry.binding->value))
        .Check();
  }
  return absl::OkStatus();
}

}  // namespace atl::bindings
