#include "bindings/env_strings.h"

#include "base/strings.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

absl::Status InstallStringBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  for (const EnvEntry& entry : entries) {
    v8::Local<v8::Value> value = isolates::NewString(setup.isolate(), entry.binding->value);
    // A var that is not a string: its JSON text, parsed in this context (config/env_vars.h).
    if (entry.binding->json && !v8::JSON::Parse(setup.context(), value.As<v8::String>()).ToLocal(&value)) {
      return absl::InvalidArgumentError(base::StrCat("env.", entry.binding->name, ": not valid JSON"));
    }
    setup.env()
        ->CreateDataProperty(setup.context(), isolates::NewString(setup.isolate(), entry.binding->name), value)
        .Check();
  }
  return absl::OkStatus();
}

}  // namespace atl::bindings
