#pragma once
// The runtime's V8 startup snapshot: a context with every binding's JS glue already run, made at
// build time by `atoll_make_snapshot` (bindings/) and linked into the binaries that serve. Each
// tenant isolate and context is deserialized from it instead of running the glue again.

#include <string_view>

namespace atl::cache {

// The snapshot bytes; empty in a binary linked without one (the snapshot maker itself).
std::string_view EmbeddedStartupSnapshot();

}  // namespace atl::cache
