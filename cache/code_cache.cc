#include "cache/code_cache.h"

#include "cache/content_hash.h"

namespace atl::cache {

std::string CodeCache::KeyFor(std::string_view source, std::string_view v8_version,
                              std::string_view flags) {
  return Sha256Hex({v8_version, std::string_view("\0", 1), flags, std::string_view("\0", 1), source});
}

CodeCache::Blob CodeCache::Find(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second;
}

void CodeCache::Insert(const std::string& key, std::vector<uint8_t> data) {
  auto blob = std::make_shared<const std::vector<uint8_t>>(std::move(data));
  absl::MutexLock lock(&mu_);
  entries_[key] = std::move(blob);
}

void CodeCache::Remove(const std::string& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
}

size_t CodeCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace atl::cache
