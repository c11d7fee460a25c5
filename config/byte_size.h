#pragma once
// Sizes as operators write them in config: "10MB", "512KB", "1GiB", "4096" (bytes).
// KB/MB/GB are powers of 1024, like nginx's client_max_body_size; so are KiB/MiB/GiB.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::config {

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

}  // namespace atl::config
