#pragma once
// Env binding kind `d1` (config/env_d1.h): env.NAME is lazy module `d1`'s newDatabase(name),
// a Durable Object of the platform's own engine class (js/lazy/d1.js).

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallD1Bindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
