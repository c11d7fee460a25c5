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
// Index of the objects the snapshot's exercises made (runtime_snapshot.cc): kept alive while the
// blob was made so that their maps, and the transitions to them from the constructors' initial
// maps, are in the blob; a new context drops them (the maps live until its first full GC).
inline constexpr size_t kExercisedSnapshotIndex = 1;

// Every native callback of every unit, null-terminated, in registry order.
const intptr_t* ExternalReferences();

// Runs every unit in a fresh isolate and returns the snapshot file (cache/startup_snapshot.h),
// made with a random hash seed: two V8 blobs, the runtime's, whose context has the URL and
// encoding modules loaded (in nearly every handler), and the streams one, whose context also has the
// streams module (and the safe-calls runtime and DOMException it loads) loaded, their globals
// read. Only what each module's exercise runs is compiled into the blob. Two blobs, not two contexts in one: V8 puts every function of every
// context of a blob into the isolate part that each isolate made from it deserializes, so a
// second context in the runtime's blob would cost every tenant ~330 KB of heap.
// Call before anything else initializes V8.
absl::StatusOr<std::string> BuildStartupSnapshot();

// How to make tenant isolates from the embedded snapshot (from its streams blob if `streams`:
// for tenants whose bundle names streams, bindings/streams_context.h); an error if the binary
// has none.
absl::StatusOr<isolates::IsolateBlueprint> RuntimeBlueprint(uint32_t heap_mb, bool streams = false);

}  // namespace atl::bindings
