#pragma once
// Env binding kind `wasm` (config/env_wasm.h): env.NAME is a WebAssembly.Module of the file,
// compiled once per process (wasm_modules.h); each context gets a Module of its own realm.

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallWasmBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
