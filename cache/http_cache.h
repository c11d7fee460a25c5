#pragma once
// The store behind the Cache API (caches.default, caches.open(name);
// https://developers.cloudflare.com/workers/runtime-apis/cache/): one SQLite database,
// `<data_dir>/cache/http_cache.sqlite3`, in WAL mode like kv/ (README.md there), opened by every
// worker process of a server, so that they share entries. Rows are partitioned by tenant: every
// call names the tenant and sees only its rows. Each tenant has a byte cap; a put beyond it evicts
// the tenant's least recently used entries. The HTTP semantics (Cache-Control, Vary, 304, 206)
// live in the JS half (bindings/js/lazy/cache.js): an entry here is opaque `meta` + `body`.
//
//   auto cache = HttpCache::Open(data_dir / "cache" / "http_cache.sqlite3");
//   (*cache)->Put("tenant", "default\0https://x/", meta, body, expires_ms, HttpCacheNowMs(), cap);
//   (*cache)->Get("tenant", key, HttpCacheNowMs(), [](std::string_view meta, std::string_view body) {...});

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace atl::cache {

// Wall-clock milliseconds since the epoch, the clock of expirations and of LRU order.
int64_t HttpCacheNowMs();

class HttpCache {
 public:
  static absl::StatusOr<std::unique_ptr<HttpCache>> Open(const std::filesystem::path& file);
  ~HttpCache();
  HttpCache(const HttpCache&) = delete;
  HttpCache& operator=(const HttpCache&) = delete;

  // Calls `found` with the entry and returns true (and marks it used at `now`); false if there is
  // none or it expired at `now` (then it is deleted). Views are valid during the call only.
  absl::StatusOr<bool> Get(std::string_view tenant, std::string_view key, int64_t now,
                           absl::FunctionRef<void(std::string_view meta, std::string_view body)> found);
  // Stores the entry (replacing one with the same key) until `expires_ms`, then evicts the
  // tenant's least recently used entries until its bytes are at most `cap_bytes`. An entry larger
  // than the cap is not stored (returns false). Also purges a few expired entries of any tenant.
  absl::StatusOr<bool> Put(std::string_view tenant, std::string_view key, std::string_view meta,
                           std::string_view body, int64_t expires_ms, int64_t now, uint64_t cap_bytes);
  // True if an entry was deleted.
  absl::StatusOr<bool> Delete(std::string_view tenant, std::string_view key);
  // The bytes (meta + body) the tenant's entries take, expired ones included.
  int64_t TenantBytes(std::string_view tenant);

 private:
  explicit HttpCache(sqlite3* db) : db_(db) {}
  absl::Status Prepare();
  absl::Status Error(std::string_view what) const;
  void EvictLocked(std::string_view tenant, uint64_t cap_bytes);

  absl::Mutex mu_;
  sqlite3* db_;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* touch_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* bytes_ = nullptr;
  sqlite3_stmt* oldest_ = nullptr;
  sqlite3_stmt* delete_row_ = nullptr;
  sqlite3_stmt* sweep_ = nullptr;
  uint32_t puts_since_sweep_ = 0;
};

}  // namespace atl::cache
