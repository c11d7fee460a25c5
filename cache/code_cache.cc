#include "cache/code_cache.h"

#include <cstring>

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

CodeCache::CodeCache(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
}

std::string CodeCache::KeyFor(std::string_view source, std::string_view v8_version,
                              std::string_view flags) {
  return Sha256Hex({v8_version, std::string_view("\0", 1), flags, std::string_view("\0", 1), source});
}

fs::path CodeCache::FileFor(const std::string& key) const { return dir_ / (key + ".v8cache"); }

CodeCache::Blob CodeCache::Find(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
  }
  if (dir_.empty()) return nullptr;
  Blob blob = ReadFromDisk(key);
  if (blob) {
    absl::MutexLock lock(&mu_);
    entries_[key] = blob;
  }
  return blob;
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

void CodeCache::WriteToDisk(const std::string& key, const std::vector<uint8_t>& data) const {
  std::string entry(kMagic);
  entry += Sha256Hex({AsText(data)});
  entry += AsText(data);
  // Not durable: a cache entry lost in a crash is compiled again.
  (void)base::WriteFileAtomically(FileFor(key), entry, /*durable=*/false);  // unwritable: only slower
}

void CodeCache::Insert(const std::string& key, std::vector<uint8_t> data) {
  auto blob = std::make_shared<const std::vector<uint8_t>>(std::move(data));
  if (!dir_.empty()) WriteToDisk(key, *blob);
  absl::MutexLock lock(&mu_);
  entries_[key] = std::move(blob);
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
  entries_.erase(key);
}

size_t CodeCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace atl::cache
