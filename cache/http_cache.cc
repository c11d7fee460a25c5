#include "cache/http_cache.h"

#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

#include "base/limits.h"
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

std::string_view Column(sqlite3_stmt* statement, int column) {
  const void* data = sqlite3_column_blob(statement, column);
  int size = sqlite3_column_bytes(statement, column);
  return data == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(data), size);
}

struct Reset {
  sqlite3_stmt* statement;
  ~Reset() {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
  }
};

void Bind(sqlite3_stmt* statement, int index, std::string_view bytes) {
  sqlite3_bind_blob64(statement, index, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC);
}

void BindText(sqlite3_stmt* statement, int index, std::string_view text) {
  sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int ExecRetryingBusy(sqlite3* db, const char* sql) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLimits.busy_timeout_ms);
  for (;;) {
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int64_t HttpCacheNowMs() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

absl::StatusOr<std::unique_ptr<HttpCache>> HttpCache::Open(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return absl::InternalError(base::StrCat(file.parent_path().string(), ": ", ec.message()));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<HttpCache> cache(new HttpCache(db));
  if (rc != SQLITE_OK) return cache->Error(file.string());
  sqlite3_busy_timeout(db, static_cast<int>(kLimits.busy_timeout_ms));
  // As kv/: WAL so that worker processes read while one writes; NORMAL: no fsync per commit (a
  // cache may lose its last entries on a power loss).
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema}) {
    if (ExecRetryingBusy(db, sql) != SQLITE_OK) return cache->Error(base::StrCat(file.string(), ": ", sql));
  }
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
  struct {
    sqlite3_stmt** statement;
    const char* sql;
  } statements[] = {
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
  };
  for (auto& [statement, sql] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, statement, nullptr) != SQLITE_OK) {
      return Error(sql);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> HttpCache::Get(std::string_view tenant, std::string_view key, int64_t now,
                                    absl::FunctionRef<void(std::string_view, std::string_view)> found) {
  absl::MutexLock lock(&mu_);
  bool live = false;
  {
    Reset reset{get_};
    BindText(get_, 1, tenant);
    Bind(get_, 2, key);
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
  Bind(after, 2, key);
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
    Bind(put_, 2, key);
    sqlite3_bind_int64(put_, 3, expires_ms);
    sqlite3_bind_int64(put_, 4, now);
    sqlite3_bind_int64(put_, 5, static_cast<int64_t>(size));
    Bind(put_, 6, meta);
    Bind(put_, 7, body);
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
  Bind(delete_, 2, key);
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
