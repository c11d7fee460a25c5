#pragma once
// Whole-file reads and atomic whole-file writes, for the few places that load or store a file at
// once (scripts, config, deployed tenants, cache entries).

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::base {

// The bytes of `path`; NotFound "cannot read file \"PATH\": REASON" if it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never a part:
// the bytes go to a temporary file of the same folder (unique per process and call), which is
// renamed over `path`. `durable`: the file is fsynced before the rename and the folder after it,
// so the new file survives a crash of the machine (what a commit point needs; a cache does not).
// Internal "cannot create|write|fsync|rename to PATH: REASON"; the temporary file is removed.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes, bool durable);

}  // namespace atl::base
