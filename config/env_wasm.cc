#include "config/env_wasm.h"

namespace atl::config {

absl::StatusOr<std::string> ParseWasmBinding(const EnvValue& value, const EnvParseContext&) {
  absl::StatusOr<std::filesystem::path> file = value.ExistingFile();
  if (!file.ok()) return file.status();
  return file->string();
}

}  // namespace atl::config
