#pragma once
// In-memory V8 code cache: compiled-code blobs keyed by the SHA-256 of source + V8 version +
// flags, so a script that is loaded again (another isolate, another context) skips the compile.
// Thread-safe. Entries V8 rejects are dropped by the caller with Remove() and made again.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace atl::cache {

class CodeCache {
 public:
  using Blob = std::shared_ptr<const std::vector<uint8_t>>;

  // The key for `source` compiled by this V8 with these flags.
  static std::string KeyFor(std::string_view source, std::string_view v8_version,
                            std::string_view flags);

  Blob Find(const std::string& key) const;
  void Insert(const std::string& key, std::vector<uint8_t> data);
  void Remove(const std::string& key);
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Blob> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace atl::cache
