#pragma once
// V8 code cache: compiled-code blobs keyed by the SHA-256 of source + V8 version + flags, so a
// script loaded again (another isolate, another context, another run of the server) skips the
// compile. Kept in memory and, when given a directory, on disk (`<dir>/<key>.v8cache`, written
// to a temp file and renamed), so a restart compiles nothing. A disk entry carries its own
// SHA-256: a truncated or corrupt file is ignored and deleted. Entries V8 rejects are replaced
// by the caller with Insert(). Both copies are bounded (limits::CodeCacheLimits): every deploy
// adds a script version, so the least recently used entries go, from memory past memory_mb (a
// later Find reads the file again) and from disk past disk_mb. Thread-safe.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "base/limits.h"
#include "base/lru_by_bytes.h"

namespace atl::cache {

class CodeCache {
 public:
  using Blob = std::shared_ptr<const std::vector<uint8_t>>;

  // What the users of the cache did with it (for logs and stats).
  struct Stats {
    std::atomic<uint64_t> hits{0};       // compiled from a cache entry
    std::atomic<uint64_t> compiles{0};   // compiled from source (no entry, or V8 rejected it)
    std::atomic<uint64_t> rejected{0};   // entries V8 refused
    std::atomic<uint64_t> evicted{0};    // entries dropped from memory past memory_mb
    std::atomic<uint64_t> files_removed{0};  // files removed from disk past disk_mb
  };

  // In memory only.
  explicit CodeCache(limits::CodeCacheLimits limits = {});
  // In memory and under `dir` (created if missing; trimmed to disk_mb now).
  explicit CodeCache(std::filesystem::path dir, limits::CodeCacheLimits limits = {});

  // The key for `source` compiled by this V8 with these flags.
  static std::string KeyFor(std::string_view source, std::string_view v8_version,
                            std::string_view flags);

  Blob Find(const std::string& key);
  void Insert(const std::string& key, std::vector<uint8_t> data);
  void Remove(const std::string& key);
  // True the first time it is asked for `key` in this process: the caller then replaces the
  // entry with one made after the script ran (isolates/compiled_scripts.h), which no other
  // isolate of the same script needs to make again.
  bool ClaimRefresh(const std::string& key);
  size_t size() const;
  uint64_t bytes() const;  // of the blobs in memory

  Stats& stats() { return stats_; }

 private:
  std::filesystem::path FileFor(const std::string& key) const;
  Blob ReadFromDisk(const std::string& key) const;
  void WriteToDisk(const std::string& key, const std::vector<uint8_t>& data);
  // Adds or replaces `key` as the most recently used, then evicts past memory_mb.
  void Keep(const std::string& key, Blob blob) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the least recently written files until the folder holds at most disk_mb.
  void TrimDisk();

  std::filesystem::path dir_;
  const limits::CodeCacheLimits limits_;
  mutable absl::Mutex mu_;
  base::LruByBytes<Blob> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> refreshed_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> disk_written_{0};  // bytes written since the last TrimDisk
  Stats stats_;
};

}  // namespace atl::cache
