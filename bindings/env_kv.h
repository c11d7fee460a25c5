#pragma once
// Env binding kind `kv` (config/env_kv.h): env.NAME is a KV namespace made by lazy module `kv`'s
// newNamespace(index); its natives (kv.h) find the store through Worker::kv_store(index).

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

absl::Status InstallKvBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);

}  // namespace atl::bindings
