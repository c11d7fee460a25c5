#include "cache/code_cache.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "base/files.h"
#include "cache/content_hash.h"

namespace atl::cache {
namespace {

namespace fs = std::filesystem;

// A disk entry: magic, then the hex SHA-256 of the payload, then the payload.
constexpr std::string_view kMagic = "atoll-v8cache-1\n";
constexpr size_t kHashHex = 64;

std::string_view AsText(const std::vector<uint8_t>& data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

}  // namespace

CodeCache::CodeCache(limits::CodeCacheLimits limits)
    : limits_(limits), entries_(size_t{limits.memory_mb} << 20) {}

CodeCache::CodeCache(fs::path dir, limits::CodeCacheLimits limits)
    : dir_(std::move(dir)), limits_(limits), entries_(size_t{limits.memory_mb} << 20) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  TrimDisk();
}

std::string CodeCache::KeyFor(std::string_view source, std::string_view v8_version,
                              std::string_view flags) {
  return Sha256Hex({v8_version, std::string_view("\0", 1), flags, std::string_view("\0", 1), source});
}

fs::path CodeCache::FileFor(const std::string& key) const { return dir_ / (key + ".v8cache"); }

CodeCache::Blob CodeCache::Find(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    if (Blob* hit = entries_.Find(key)) return *hit;
  }
  if (dir_.empty()) return nullptr;
  Blob blob = ReadFromDisk(key);
  if (blob) {
    // The file's time is not touched: the workers' sandbox allows no utimensat. A file only read
    // for long is removed first; its version compiles again, once, and writes it anew.
    absl::MutexLock lock(&mu_);
    Keep(key, blob);
  }
  return blob;
}

void CodeCache::Keep(const std::string& key, Blob blob) {
  size_t bytes = blob->size();
  for (const std::string& evicted : entries_.Put(key, std::move(blob), bytes)) {
    refreshed_.erase(evicted);
    stats_.evicted.fetch_add(1, std::memory_order_relaxed);
  }
}

void CodeCache::TrimDisk() {
  disk_written_.store(0, std::memory_order_relaxed);
  std::vector<std::tuple<fs::file_time_type, uintmax_t, fs::path>> files;
  uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".v8cache") continue;
    std::error_code stat_error;
    uintmax_t size = it->file_size(stat_error);
    fs::file_time_type mtime = it->last_write_time(stat_error);
    if (stat_error) continue;  // removed meanwhile (another worker process trims too)
    files.emplace_back(mtime, size, it->path());
    total += size;
  }
  const uintmax_t limit = uintmax_t{limits_.disk_mb} << 20;
  if (total <= limit) return;
  std::sort(files.begin(), files.end());
  for (const auto& [mtime, size, path] : files) {
    if (total <= limit) break;
    std::error_code remove_error;
    if (fs::remove(path, remove_error)) stats_.files_removed.fetch_add(1, std::memory_order_relaxed);
    total -= size;
  }
}

CodeCache::Blob CodeCache::ReadFromDisk(const std::string& key) const {
  absl::StatusOr<std::string> file = base::ReadFile(FileFor(key));
  if (!file.ok()) return nullptr;  // no entry
  std::string_view view = *file;
  bool valid = view.size() >= kMagic.size() + kHashHex && view.starts_with(kMagic);
  if (valid) {
    std::string_view hash = view.substr(kMagic.size(), kHashHex);
    std::string_view payload = view.substr(kMagic.size() + kHashHex);
    valid = Sha256Hex({payload}) == hash;
    if (valid) return std::make_shared<const std::vector<uint8_t>>(payload.begin(), payload.end());
  }
  std::error_code ec;
  fs::remove(FileFor(key), ec);  // corrupt: compile again and replace it
  return nullptr;
}

void CodeCache::WriteToDisk(const std::string& key, const std::vector<uint8_t>& data) {
  std::string entry(kMagic);
  entry += Sha256Hex({AsText(data)});
  entry += AsText(data);
  // Not durable: a cache entry lost in a crash is compiled again.
  (void)base::WriteFileAtomically(FileFor(key), entry, /*durable=*/false);  // unwritable: only slower
  // The folder is scanned again once an eighth of its bound was written since the last scan.
  uint64_t written = disk_written_.fetch_add(entry.size(), std::memory_order_relaxed) + entry.size();
  if (written > (uint64_t{limits_.disk_mb} << 20) / 8) TrimDisk();
}

void CodeCache::Insert(const std::string& key, std::vector<uint8_t> data) {
  auto blob = std::make_shared<const std::vector<uint8_t>>(std::move(data));
  if (!dir_.empty()) WriteToDisk(key, *blob);
  absl::MutexLock lock(&mu_);
  Keep(key, std::move(blob));
}

bool CodeCache::ClaimRefresh(const std::string& key) {
  absl::MutexLock lock(&mu_);
  return refreshed_.insert(key).second;
}

void CodeCache::Remove(const std::string& key) {
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove(FileFor(key), ec);
  }
  absl::MutexLock lock(&mu_);
  entries_.Remove(key);
  refreshed_.erase(key);
}

size_t CodeCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

uint64_t CodeCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return entries_.bytes();
}

}  // namespace atl::cache
