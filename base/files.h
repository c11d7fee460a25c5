#pragma once
// Whole-file reads, for the few places that load a file at once (scripts, config, cache entries).

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace atl::base {

// The bytes of `path`; NotFound "cannot read file \"PATH\": REASON" if it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace atl::base
