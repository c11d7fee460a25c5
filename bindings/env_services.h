#pragma once
// Env binding kind `services` (config/env_services.h): env.NAME is lazy module `fetch`'s
// serviceBinding(NAME), whose fetch() the Worker hands to its host with the binding's name
// (WorkerHost::StartFetch; the server finds the tenant: WorkerOptions::OfKind("services")).

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallServiceBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
