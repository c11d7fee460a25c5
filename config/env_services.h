#pragma once
// Env binding kind `services` (`[tenants.services] NAME = "tenant"`, or `NAME = { service =
// "tenant", entrypoint = "ExportName" }`): env.NAME.fetch() calls that tenant of the same file
// without a socket, and env.NAME.method() calls its entrypoint's methods (bindings/env_services.h,
// js/lazy/fetch.js). The entrypoint is a named export of the tenant's script, a class extending
// WorkerEntrypoint; without one, the default export.

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

// The binding's value: "tenant", or "tenant#Entrypoint".
inline constexpr char kEntrypointSeparator = '#';

absl::StatusOr<std::string> ParseServiceBinding(const EnvValue& value, const EnvParseContext& context);
// A parsed value's tenant and entrypoint ("" for the default export).
std::pair<std::string_view, std::string_view> SplitServiceBinding(std::string_view value);

}  // namespace atl::config
