#pragma once
// Values by string key, bounded by the bytes they stand for: a lookup makes an entry the most
// recently used, and past the bound the least recently used go (never the most recent one, so
// an entry larger than the bound is still kept alone). Pinned entries are neither counted nor
// evicted. Not thread-safe: the owner locks. Used by the V8 code cache (cache/code_cache.h) and
// the compiled Wasm modules (bindings/wasm_modules.cc), which every deploy adds to.
//
//   LruByBytes<Blob> cache(64 << 20);
//   std::vector<std::string> gone = cache.Put(key, blob, blob->size());
//   if (Blob* hit = cache.Find(key)) ...

#include <cstddef>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace atl::base {

template <typename Value>
class LruByBytes {
 public:
  explicit LruByBytes(size_t limit) : limit_(limit) {}

  // The value under `key`, now the most recently used; null if none.
  Value* Find(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (it->second.recent != recent_.end()) recent_.splice(recent_.begin(), recent_, it->second.recent);
    return &it->second.value;
  }

  // Adds or replaces `key` as the most recently used; returns the keys evicted to make room.
  std::vector<std::string> Put(const std::string& key, Value value, size_t bytes, bool pinned = false) {
    auto [it, added] = entries_.try_emplace(key);
    Entry& entry = it->second;
    if (!added && entry.recent != recent_.end()) {
      bytes_ -= entry.bytes;
      recent_.erase(entry.recent);
    }
    entry.value = std::move(value);
    entry.bytes = bytes;
    entry.recent = recent_.end();
    if (!pinned) {
      recent_.push_front(key);
      entry.recent = recent_.begin();
      bytes_ += bytes;
    }
    return Trim();
  }

  void Remove(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (it->second.recent != recent_.end()) {
      bytes_ -= it->second.bytes;
      recent_.erase(it->second.recent);
    }
    entries_.erase(it);
  }

  // A new bound, applied at once; returns the keys evicted.
  std::vector<std::string> SetLimit(size_t limit) {
    limit_ = limit;
    return Trim();
  }

  size_t bytes() const { return bytes_; }  // of the entries not pinned
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Value value{};
    size_t bytes = 0;
    std::list<std::string>::iterator recent;  // in recent_; recent_.end() when pinned
  };

  std::vector<std::string> Trim() {
    std::vector<std::string> evicted;
    while (bytes_ > limit_ && recent_.size() > 1) {
      std::string key = std::move(recent_.back());
      recent_.pop_back();
      auto it = entries_.find(key);
      bytes_ -= it->second.bytes;
      entries_.erase(it);
      evicted.push_back(std::move(key));
    }
    return evicted;
  }

  size_t limit_;
  absl::flat_hash_map<std::string, Entry> entries_;
  std::list<std::string> recent_;  // the keys not pinned, most recently used first
  size_t bytes_ = 0;
};

}  // namespace atl::base
