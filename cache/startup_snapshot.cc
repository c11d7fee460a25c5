#include "cache/startup_snapshot.h"

namespace atl::cache {
namespace {
constexpr std::string_view kMagic = "atoll-snapshot-1\n";
constexpr std::string_view kMagic2 = "atoll-snapshot-2\n";  // same length as kMagic
constexpr size_t kHeader = kMagic.size() + 8;
constexpr size_t kHeader2 = kHeader + 8;

uint64_t ReadLe64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return value;
}

void AppendLe64(std::string& file, uint64_t value) {
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// The two blobs of a version-2 file (both empty if `file` is not one).
std::pair<std::string_view, std::string_view> Blobs2(std::string_view file) {
  if (file.size() < kHeader2 || !file.starts_with(kMagic2)) return {};
  uint64_t first = ReadLe64(file.substr(kHeader, 8));
  if (first > file.size() - kHeader2) return {};
  return {file.substr(kHeader2, first), file.substr(kHeader2 + first)};
}
}  // namespace

// Overridden by the generated snapshot object (bindings/ build) in binaries that have one.
__attribute__((weak)) std::string_view EmbeddedStartupSnapshot() { return {}; }

std::string EncodeStartupSnapshot(uint64_t hash_seed, std::string_view blob, std::string_view streams_blob) {
  std::string file(streams_blob.empty() ? kMagic : kMagic2);
  AppendLe64(file, hash_seed);
  if (!streams_blob.empty()) AppendLe64(file, blob.size());
  file.append(blob);
  file.append(streams_blob);
  return file;
}

uint64_t StartupSnapshotHashSeed(std::string_view file) {
  if (file.size() < kHeader || !(file.starts_with(kMagic) || file.starts_with(kMagic2))) return 0;
  return ReadLe64(file.substr(kMagic.size(), 8));
}

std::string_view StartupSnapshotBlob(std::string_view file) {
  if (file.size() >= kHeader && file.starts_with(kMagic)) return file.substr(kHeader);
  return Blobs2(file).first;
}

std::string_view StartupSnapshotStreamsBlob(std::string_view file) { return Blobs2(file).second; }

}  // namespace atl::cache
