// libFuzzer: route patterns (config/route_pattern.h). A pattern that parses has a canonical
// text that parses again to the same pattern.
#include <cstdlib>
#include <string_view>

#include "config/route_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<atl::config::RoutePattern> pattern = atl::config::ParseRoutePattern(text);
  if (!pattern.ok()) return 0;
  absl::StatusOr<atl::config::RoutePattern> again = atl::config::ParseRoutePattern(pattern->ToString());
  if (!again.ok() || !(*again == *pattern)) abort();
  return 0;
}
