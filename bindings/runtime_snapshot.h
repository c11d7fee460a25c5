#pragma once
// The runtime's startup snapshot: every binding unit's native functions installed and JS glue
// run in one context, serialized at build time (`atoll_make_snapshot`, cache/startup_snapshot.h
// embeds the result). Tenant isolates are made from it (RuntimeBlueprint), so a new context
// already has the whole Web API surface and costs a deserialization, not a glue run.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "isolates/tenant_isolate.h"

namespace atl::bindings {

// Index of the glue's `internal` object among the snapshot context's data.
inline constexpr size_t kInternalSnapshotIndex = 0;

// Every native callback of every unit, null-terminated, in registry order.
const intptr_t* ExternalReferences();

// Runs every unit in a fresh isolate and returns the snapshot file (cache/startup_snapshot.h),
// made with a random hash seed. Call before anything else initializes V8.
absl::StatusOr<std::string> BuildStartupSnapshot();

// How to make tenant isolates from the embedded snapshot; an error if the binary has none.
absl::StatusOr<isolates::IsolateBlueprint> RuntimeBlueprint(uint32_t heap_mb);

}  // namespace atl::bindings
