#pragma once
// The runtime's V8 startup snapshot: a context with every binding's JS glue already run, made at
// build time by `atoll_make_snapshot` (bindings/) and linked into the binaries that serve. Each
// tenant isolate and context is deserialized from it instead of running the glue again.
//
// The file is a small header and V8's blob: "atoll-snapshot-1\n", the V8 hash seed it was made
// with (8 bytes, little-endian), then the blob. With a second blob (the streams snapshot, whose
// context has the streams module loaded: bindings/runtime_snapshot.h) it is "atoll-snapshot-2\n",
// the seed, the first blob's length (8 bytes, little-endian), the first blob, the second. The
// seed is random per build; V8 runs with it, so the hash tables of every deserialized context are
// valid as they are and need no rehash.

#include <cstdint>
#include <string>
#include <string_view>

namespace atl::cache {

// The snapshot file's bytes; empty in a binary linked without one (the snapshot maker itself).
std::string_view EmbeddedStartupSnapshot();

// The file for `blob` (and `streams_blob`, if any) made with `hash_seed`, and its parts (seed 0
// and empty blobs when `file` is not one; an empty streams blob in a file without one).
std::string EncodeStartupSnapshot(uint64_t hash_seed, std::string_view blob, std::string_view streams_blob = {});
uint64_t StartupSnapshotHashSeed(std::string_view file);
std::string_view StartupSnapshotBlob(std::string_view file);
std::string_view StartupSnapshotStreamsBlob(std::string_view file);

}  // namespace atl::cache
