// libFuzzer: the admin API's deploy body (config/json_to_toml.h: a JSON object of tenant keys
// turned into a [[tenants]] TOML block), then that TOML through the config parser, as the admin
// API does: whatever JSON is sent, the TOML produced parses or is refused cleanly.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/json_to_toml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  std::string script;
  std::vector<std::string> services;
  std::vector<atl::config::DeployWasm> wasm;
  absl::StatusOr<std::string> toml = atl::config::TenantJsonToToml(json, &script, &services, &wasm);
  if (!toml.ok()) return 0;
  atl::config::EnvLookup no_env = [](std::string_view) { return std::optional<std::string>(); };
  (void)atl::config::ParseConfig("[[tenants]]\n" + *toml, {}, no_env);
  (void)atl::config::JsonValueToToml(json, "fuzz");
  return 0;
}
