#include "bindings/env_wasm.h"

#include "bindings/wasm_modules.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

absl::Status InstallWasmBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  for (const EnvEntry& entry : entries) {
    absl::StatusOr<v8::Local<v8::WasmModuleObject>> module = WasmModuleFor(setup.isolate(), entry.binding->value);
    if (!module.ok()) return module.status();
    setup.env()->Set(setup.context(), isolates::NewString(setup.isolate(), entry.binding->name), *module).Check();
  }
  return absl::OkStatus();
}

}  // namespace atl::bindings
