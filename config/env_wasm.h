#pragma once
// Env binding kind `wasm` (`[tenants.wasm] NAME = "file.wasm"`): env.NAME is a WebAssembly.Module
// of the file (relative to the config's folder; the value is its absolute path).

#include <string>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

absl::StatusOr<std::string> ParseWasmBinding(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
