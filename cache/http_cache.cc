#include "cache/http_cache.h"

#include <chrono>
#include <vector>

#include "base/limits.h"
#include "base/sqlite.h"
#include "base/strings.h"

namespace atl::cache {
namespace {

// `used` orders the LRU (ms of the last put or hit); `size` is meta + body bytes.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS entries ("
    "  tenant TEXT NOT NULL,"
    "  key BLOB NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  meta BLOB NOT NULL,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, key));"
    "CREATE INDEX IF NOT EXISTS entries_lru ON entries (tenant, used);"
    "CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires);";

constexpr limits::HttpCacheLimits kLimits;

using base::sqlite::Column;
using base::sqlite::Reset;
using base::sqlite::BindBlob;
using base::sqlite::BindText;
}  // namespace

int64_t HttpCacheNowMs() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

absl::StatusOr<std::unique_ptr<HttpCache>> HttpCache::Open(const std::filesystem::path& file) {
  // As kv/: shared by the worker processes (WAL; NORMAL: no fsync per commit, so a cache may lose
  // its last entries on a power loss).
  absl::StatusOr<sqlite3*> db =
      base::sqlite::OpenShared(file, static_cast<int>(kLimits.busy_timeout_ms), kSchema, "cache store");
  if (!db.ok()) return db.status();
  std::unique_ptr<HttpCache> cache(new HttpCache(*db));
  absl::Status prepared = cache->Prepare();
  if (!prepared.ok()) return prepared;
  return cache;
}

HttpCache::~HttpCache() {
  for (sqlite3_stmt* s : {get_, touch_, put_, delete_, bytes_, oldest_, delete_row_, sweep_}) sqlite3_finalize(s);
  sqlite3_close(db_);
}

absl::Status HttpCache::Error(std::string_view what) const {
  return absl::InternalError(base::StrCat("cache store: ", what, ": ", db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

absl::Status HttpCache::Prepare() {
  return base::sqlite::PrepareAll(db_, {
      {&get_, "SELECT meta, body, expires FROM entries WHERE tenant = ?1 AND key = ?2"},
      {&touch_, "UPDATE entries SET used = ?3 WHERE tenant = ?1 AND key = ?2"},
      {&put_,
       "INSERT OR REPLACE INTO entries (tenant, key, expires, used, size, meta, body) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&delete_, "DELETE FROM entries WHERE tenant = ?1 AND key = ?2"},
      {&bytes_, "SELECT COALESCE(SUM(size), 0) FROM entries WHERE tenant = ?1"},
      {&oldest_, "SELECT rowid, size FROM entries WHERE tenant = ?1 ORDER BY used"},
      {&delete_row_, "DELETE FROM entries WHERE rowid = ?1"},
      {&sweep_,
       "DELETE FROM entries WHERE rowid IN (SELECT rowid FROM entries WHERE expires <= ?1 LIMIT ?2)"},
  }, "cache store");
}

absl::StatusOr<bool> HttpCache::Get(std::string_view tenant, std::string_view key, int64_t now,
                                    absl::FunctionRef<void(std::string_view, std::string_view)> found) {
  absl::MutexLock lock(&mu_);
  bool live = false;
  {
    Reset reset{get_};
    BindText(get_, 1, tenant);
    BindBlob(get_, 2, key);
    int rc = sqlite3_step(get_);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return Error("get");
    live = sqlite3_column_int64(get_, 2) > now;
    if (live) found(Column(get_, 0), Column(get_, 1));
  }
  // Cleanup and LRU bookkeeping: a failure changes nothing the caller sees.
  sqlite3_stmt* after = live ? touch_ : delete_;
  Reset reset{after};
  BindText(after, 1, tenant);
  BindBlob(after, 2, key);
  if (live) sqlite3_bind_int64(after, 3, now);
  sqlite3_step(after);
  return live;
}

absl::StatusOr<bool> HttpCache::Put(std::string_view tenant, std::string_view key, std::string_view meta,
                                    std::string_view body, int64_t expires_ms, int64_t now, uint64_t cap_bytes) {
  uint64_t size = meta.size() + body.size();
  absl::MutexLock lock(&mu_);
  if (size > cap_bytes) return false;
  {
    Reset reset{put_};
    BindText(put_, 1, tenant);
    BindBlob(put_, 2, key);
    sqlite3_bind_int64(put_, 3, expires_ms);
    sqlite3_bind_int64(put_, 4, now);
    sqlite3_bind_int64(put_, 5, static_cast<int64_t>(size));
    BindBlob(put_, 6, meta);
    BindBlob(put_, 7, body);
    if (sqlite3_step(put_) != SQLITE_DONE) return Error("put");
  }
  if (++puts_since_sweep_ >= kLimits.puts_per_sweep) {
    puts_since_sweep_ = 0;
    Reset reset{sweep_};
    sqlite3_bind_int64(sweep_, 1, now);
    sqlite3_bind_int(sweep_, 2, static_cast<int>(kLimits.sweep_rows));
    sqlite3_step(sweep_);
  }
  EvictLocked(tenant, cap_bytes);
  return true;
}

void HttpCache::EvictLocked(std::string_view tenant, uint64_t cap_bytes) {
  int64_t total = 0;
  {
    Reset reset{bytes_};
    BindText(bytes_, 1, tenant);
    if (sqlite3_step(bytes_) != SQLITE_ROW) return;
    total = sqlite3_column_int64(bytes_, 0);
  }
  if (total <= static_cast<int64_t>(cap_bytes)) return;
  // Least recently used first; the entry just put is the most recent, and fits the cap alone.
  std::vector<int64_t> victims;
  {
    Reset reset{oldest_};
    BindText(oldest_, 1, tenant);
    while (total > static_cast<int64_t>(cap_bytes) && sqlite3_step(oldest_) == SQLITE_ROW) {
      victims.push_back(sqlite3_column_int64(oldest_, 0));
      total -= sqlite3_column_int64(oldest_, 1);
    }
  }
  for (int64_t rowid : victims) {
    Reset reset{delete_row_};
    sqlite3_bind_int64(delete_row_, 1, rowid);
    sqlite3_step(delete_row_);
  }
}

absl::StatusOr<bool> HttpCache::Delete(std::string_view tenant, std::string_view key) {
  absl::MutexLock lock(&mu_);
  Reset reset{delete_};
  BindText(delete_, 1, tenant);
  BindBlob(delete_, 2, key);
  if (sqlite3_step(delete_) != SQLITE_DONE) return Error("delete");
  return sqlite3_changes(db_) > 0;
}

int64_t HttpCache::TenantBytes(std::string_view tenant) {
  absl::MutexLock lock(&mu_);
  Reset reset{bytes_};
  BindText(bytes_, 1, tenant);
  return sqlite3_step(bytes_) == SQLITE_ROW ? sqlite3_column_int64(bytes_, 0) : -1;
}

}  // namespace atl::cache
