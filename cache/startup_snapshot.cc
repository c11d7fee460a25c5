#include "cache/startup_snapshot.h"

namespace atl::cache {

// Overridden by the generated snapshot object (bindings/ build) in binaries that have one.
__attribute__((weak)) std::string_view EmbeddedStartupSnapshot() { return {}; }

}  // namespace atl::cache
