#include "cache/startup_snapshot.h"

namespace atl::cache {
namespace {
constexpr std::string_view kMagic = "atoll-snapshot-1\n";
constexpr size_t kHeader = kMagic.size() + 8;
}  // namespace

// Overridden by the generated snapshot object (bindings/ build) in binaries that have one.
__attribute__((weak)) std::string_view EmbeddedStartupSnapshot() { return {}; }

std::string EncodeStartupSnapshot(uint64_t hash_seed, std::string_view blob) {
  std::string file(kMagic);
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((hash_seed >> (8 * i)) & 0xff));
  file.append(blob);
  return file;
}

uint64_t StartupSnapshotHashSeed(std::string_view file) {
  if (file.size() < kHeader || !file.starts_with(kMagic)) return 0;
  uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed |= uint64_t{static_cast<unsigned char>(file[kMagic.size() + i])} << (8 * i);
  return seed;
}

std::string_view StartupSnapshotBlob(std::string_view file) {
  if (file.size() < kHeader || !file.starts_with(kMagic)) return {};
  return file.substr(kHeader);
}

}  // namespace atl::cache
