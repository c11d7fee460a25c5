#include "kv/kv_store.h"

#include <chrono>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "base/limits.h"
#include "base/sqlite.h"
#include "base/strings.h"

namespace atl::kv {
namespace {

// Columns in this order so that list() reads the small ones without touching the value's
// overflow pages.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS kv ("
    "  key BLOB PRIMARY KEY NOT NULL,"
    "  expiration INTEGER,"
    "  metadata TEXT,"
    "  value BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kv_expiration ON kv (expiration) WHERE expiration IS NOT NULL;";

constexpr limits::KvLimits kLimits;

int64_t ClockOffset() {
  static const int64_t offset = [] {
    const char* text = std::getenv("ATOLL_KV_TEST_CLOCK_OFFSET");
    return text == nullptr ? int64_t{0} : std::strtoll(text, nullptr, 10);
  }();
  return offset;
}

using base::sqlite::BindBlob;
using base::sqlite::Column;
using base::sqlite::Reset;

}  // namespace

int64_t KvNow() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count() + ClockOffset();
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(const std::filesystem::path& file) {
  // Other workers open the same file, at the same time when they start together: OpenShared
  // waits for their locks. WAL and synchronous=NORMAL: README.md says why not FULL.
  absl::StatusOr<sqlite3*> db =
      base::sqlite::OpenShared(file, static_cast<int>(kLimits.busy_timeout_ms), kSchema, "KV store");
  if (!db.ok()) return db.status();
  std::unique_ptr<KvStore> store(new KvStore(*db));
  absl::Status prepared = store->Prepare();
  if (!prepared.ok()) return prepared;
  return store;
}

KvStore::~KvStore() {
  for (sqlite3_stmt* statement : {get_, put_, delete_, list_, sweep_}) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

absl::Status KvStore::Error(std::string_view what) const {
  return absl::InternalError(base::StrCat("KV store: ", what, ": ", db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

absl::Status KvStore::Prepare() {
  return base::sqlite::PrepareAll(db_, {
      {&get_, "SELECT value, metadata, expiration FROM kv WHERE key = ?1"},
      {&put_, "INSERT OR REPLACE INTO kv (key, expiration, metadata, value) VALUES (?1, ?2, ?3, ?4)"},
      {&delete_, "DELETE FROM kv WHERE key = ?1"},
      // Keys are BLOBs: compared with memcmp, which for UTF-8 is code point order.
      {&list_,
       "SELECT key, expiration, metadata FROM kv WHERE key >= ?1 AND key > ?2 "
       "AND (expiration IS NULL OR expiration > ?3) ORDER BY key LIMIT ?4"},
      {&sweep_,
       "DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expiration IS NOT NULL AND expiration <= ?1 "
       "LIMIT ?2)"},
  }, "KV store");
}

absl::StatusOr<bool> KvStore::Get(std::string_view key, int64_t now, absl::FunctionRef<void(const KvRow&)> found) {
  absl::MutexLock lock(&mu_);
  bool expired = false;
  {
    Reset reset{get_};
    BindBlob(get_, 1, key);
    int rc = sqlite3_step(get_);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return Error("get");
    KvRow row;
    row.value = Column(get_, 0);
    row.metadata = Column(get_, 1);
    row.expiration = sqlite3_column_int64(get_, 2);
    if (row.expiration != 0 && row.expiration <= now) {
      expired = true;
    } else {
      found(row);
      return true;
    }
  }
  if (expired) {
    Reset reset{delete_};
    BindBlob(delete_, 1, key);
    sqlite3_step(delete_);  // cleanup only: a failure here changes nothing the caller sees
  }
  return false;
}

absl::Status KvStore::Put(std::string_view key, std::string_view value, int64_t expiration,
                          std::string_view metadata, int64_t now) {
  absl::MutexLock lock(&mu_);
  {
    Reset reset{put_};
    BindBlob(put_, 1, key);
    if (expiration != 0) sqlite3_bind_int64(put_, 2, expiration);
    if (!metadata.empty()) sqlite3_bind_text64(put_, 3, metadata.data(), metadata.size(), SQLITE_STATIC, SQLITE_UTF8);
    BindBlob(put_, 4, value);
    if (sqlite3_step(put_) != SQLITE_DONE) return Error("put");
  }
  if (++puts_since_sweep_ >= kLimits.puts_per_sweep) {
    puts_since_sweep_ = 0;
    Reset reset{sweep_};
    sqlite3_bind_int64(sweep_, 1, now);
    sqlite3_bind_int(sweep_, 2, static_cast<int>(kLimits.sweep_rows));
    sqlite3_step(sweep_);  // cleanup only
  }
  return absl::OkStatus();
}

absl::Status KvStore::Delete(std::string_view key) {
  absl::MutexLock lock(&mu_);
  Reset reset{delete_};
  BindBlob(delete_, 1, key);
  if (sqlite3_step(delete_) != SQLITE_DONE) return Error("delete");
  return absl::OkStatus();
}

absl::StatusOr<KvListResult> KvStore::List(std::string_view prefix, uint32_t limit, std::string_view cursor,
                                           int64_t now) {
  std::string after;
  if (!cursor.empty() && !absl::WebSafeBase64Unescape(absl::string_view(cursor.data(), cursor.size()), &after)) {
    return absl::InvalidArgumentError("invalid cursor");
  }
  absl::MutexLock lock(&mu_);
  Reset reset{list_};
  BindBlob(list_, 1, prefix);
  BindBlob(list_, 2, after);
  sqlite3_bind_int64(list_, 3, now);
  sqlite3_bind_int64(list_, 4, int64_t{limit} + 1);  // one more tells whether the list is complete
  KvListResult result;
  while (true) {
    int rc = sqlite3_step(list_);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error("list");
    std::string_view name = Column(list_, 0);
    if (!name.starts_with(prefix)) break;  // past the keys with this prefix
    if (result.keys.size() == limit) {
      result.complete = false;
      result.cursor = absl::WebSafeBase64Escape(result.keys.back().name);
      break;
    }
    result.keys.push_back({std::string(name), sqlite3_column_int64(list_, 1), std::string(Column(list_, 2))});
  }
  return result;
}

int64_t KvStore::RowCountForTesting() {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* count = nullptr;
  sqlite3_prepare_v2(db_, "SELECT count(*) FROM kv", -1, &count, nullptr);
  int64_t rows = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int64(count, 0) : -1;
  sqlite3_finalize(count);
  return rows;
}

absl::StatusOr<std::shared_ptr<KvStore>> KvRegistry::Open(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = stores_.find(name);
  if (it != stores_.end()) return it->second;
  if (data_dir_.empty()) return absl::FailedPreconditionError("KV namespaces need a data_dir");
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(data_dir_ / "kv" / (name + ".sqlite3"));
  if (!store.ok()) return store.status();
  std::shared_ptr<KvStore> shared = std::move(*store);
  stores_[name] = shared;
  return shared;
}

}  // namespace atl::kv
