#pragma once
// A deploy body (SPEC §5) turned into the TOML of one `[[tenants]]` block, so that the config
// parser reads it and every key means and checks exactly what it does in atoll.toml. The JSON
// is read by base/json_reader.h (bounded depth; strings decoded to UTF-8).
//
//   std::string script;
//   absl::StatusOr<std::string> toml = TenantJsonToToml(body, &script, &services, &wasm);

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::config {

// A deploy's `wasm` binding: a path in the deploy's folder, or the module's bytes (sent as
// {"base64": "..."}; the tenant store writes them next to the version's script).
struct DeployWasm {
  std::string name;
  std::string path;
  std::string bytes;
  bool inline_bytes = false;
};

// The TOML lines of one `[[tenants]]` block from a JSON object of tenant keys, with `script`
// taken out into `*script`, the targets of `services` appended to `*services` (if not null) and
// `wasm` taken out into `*wasm` (null: a body with `wasm` is refused). InvalidArgument
// "body: ..." on malformed JSON or null values.
absl::StatusOr<std::string> TenantJsonToToml(std::string_view json, std::string* script,
                                             std::vector<std::string>* services,
                                             std::vector<DeployWasm>* wasm = nullptr);

// One JSON value as a TOML value (inline tables and arrays, on one line); errors read
// "LABEL: what at offset N". JSON null is refused (TOML has none).
absl::StatusOr<std::string> JsonValueToToml(std::string_view json, std::string_view label);

// `s` as a TOML basic string, quotes included, appended to `out`.
void AppendTomlString(std::string_view s, std::string* out);

}  // namespace atl::config
