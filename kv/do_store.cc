#include "kv/do_store.h"

#include <openssl/sha.h>

#include <cstring>

#include "base/log.h"
#include "base/sqlite.h"
#include "base/strings.h"

namespace atl::kv {
namespace {

constexpr const char* kObjectSchema =
    "CREATE TABLE IF NOT EXISTS _cf_KV(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS _atoll_alarm(one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL);";

constexpr const char* kIndexSchema =
    "CREATE TABLE IF NOT EXISTS alarms(tenant TEXT NOT NULL, class TEXT NOT NULL, id TEXT NOT NULL,"
    " owner INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (tenant, class, id));"
    "CREATE INDEX IF NOT EXISTS alarms_at ON alarms(owner, at);";

void Bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
  switch (value.type) {
    case SqlValue::kNull: sqlite3_bind_null(statement, index); break;
    case SqlValue::kInteger: sqlite3_bind_int64(statement, index, value.integer); break;
    case SqlValue::kReal: sqlite3_bind_double(statement, index, value.real); break;
    case SqlValue::kText: base::sqlite::BindText(statement, index, value.bytes); break;
    case SqlValue::kBlob: base::sqlite::BindBlob(statement, index, value.bytes); break;
  }
}

SqlValue ColumnValue(sqlite3_stmt* statement, int column) {
  SqlValue value;
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER: value.type = SqlValue::kInteger; value.integer = sqlite3_column_int64(statement, column); break;
    case SQLITE_FLOAT: value.type = SqlValue::kReal; value.real = sqlite3_column_double(statement, column); break;
    case SQLITE_TEXT: value.type = SqlValue::kText; value.bytes = base::sqlite::Column(statement, column); break;
    case SQLITE_BLOB: value.type = SqlValue::kBlob; value.bytes = base::sqlite::Column(statement, column); break;
    default: break;
  }
  return value;
}

}  // namespace

DoSettings& DoConfig() {
  static DoSettings settings;
  return settings;
}

uint32_t ObjectPlacement::Owner(std::string_view id) {
  uint32_t workers = DoConfig().workers == 0 ? 1 : DoConfig().workers;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
  uint64_t h = 0;
  std::memcpy(&h, digest, sizeof h);
  return static_cast<uint32_t>(h % workers);
}

uint64_t ObjectPlacement::Fence(std::string_view tenant, std::string_view class_name, std::string_view id) {
  const DoSettings& settings = DoConfig();
  return settings.fence ? settings.fence(tenant, class_name, id) : 1;
}

absl::StatusOr<std::unique_ptr<DoStore>> DoStore::Open(const std::filesystem::path& file, uint64_t max_bytes,
                                                       bool journaled) {
  std::error_code ec;
  bool fresh = !std::filesystem::exists(file, ec);
  absl::StatusOr<sqlite3*> db = base::sqlite::OpenShared(file, 5000, kObjectSchema, "Durable Object storage");
  if (!db.ok()) return db.status();
  std::unique_ptr<DoStore> store(new DoStore(*db, file));
  // The storage limit: SQLite answers SQLITE_FULL past it.
  int page_size = 4096;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(*db, "PRAGMA page_size", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    page_size = sqlite3_column_int(statement, 0);
  }
  sqlite3_finalize(statement);
  uint64_t pages = max_bytes / static_cast<uint64_t>(page_size > 0 ? page_size : 4096);
  std::string pragma = base::StrCat("PRAGMA max_page_count = ", pages < 2 ? 2 : pages);
  sqlite3_exec(*db, pragma.c_str(), nullptr, nullptr, nullptr);
  if (journaled) {
    if (absl::Status started = store->StartJournal(fresh); !started.ok()) return started;
  }
  return store;
}

DoStore::~DoStore() {
  StopJournal();
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

absl::Status DoStore::Exec(std::string_view sql, const std::vector<SqlValue>& bindings, SqlResult* out) {
  *out = SqlResult();
  if (journal_.enabled && !journal_.active) {
    return absl::FailedPreconditionError("this Durable Object's storage is not restored yet (or closed)");
  }
  size_t next_binding = 0;
  const char* rest = sql.data();
  const char* end = sql.data() + sql.size();
  bool any = false;
  while (rest < end) {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    bool cached = false;
    auto it = rest == sql.data() ? statements_.find(std::string(sql)) : statements_.end();
    if (it != statements_.end() && rest == sql.data()) {
      statement = it->second;
      tail = end;
      cached = true;
    } else if (sqlite3_prepare_v2(db_, rest, static_cast<int>(end - rest), &statement, &tail) != SQLITE_OK) {
      return absl::InvalidArgumentError(sqlite3_errmsg(db_));
    }
    rest = tail;
    while (rest < end && (*rest == ' ' || *rest == '\n' || *rest == '\t' || *rest == '\r' || *rest == ';')) ++rest;
    if (statement == nullptr) continue;  // whitespace or a comment
    if (!cached && rest == sql.data() + sql.size() && !any && statements_.size() < 128) {
      // The whole text was one statement: kept for the next call.
      statements_.emplace(std::string(sql), statement);
      cached = true;
    }
    any = true;
    int params = sqlite3_bind_parameter_count(statement);
    for (int i = 1; i <= params; ++i) {
      if (next_binding >= bindings.size()) {
        if (!cached) sqlite3_finalize(statement);
        else sqlite3_reset(statement), sqlite3_clear_bindings(statement);
        return absl::InvalidArgumentError(
            base::StrCat("Wrong number of parameter bindings for SQL query: ", bindings.size(), " given"));
      }
      Bind(statement, i, bindings[next_binding++]);
    }
    bool last = rest >= end;
    if (last) {
      out->columns.clear();
      int count = sqlite3_column_count(statement);
      for (int c = 0; c < count; ++c) out->columns.emplace_back(sqlite3_column_name(statement, c));
    }
    int rc;
    int64_t changes_before = sqlite3_total_changes64(db_);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      ++out->rows_read;
      if (!last) continue;
      int count = static_cast<int>(out->columns.size());
      for (int c = 0; c < count; ++c) out->cells.push_back(ColumnValue(statement, c));
    }
    out->rows_written += sqlite3_total_changes64(db_) - changes_before;
    absl::Status status;
    if (rc != SQLITE_DONE) {
      status = rc == SQLITE_FULL
                   ? absl::ResourceExhaustedError("Durable Object storage is over its limit ([server] do_max_storage)")
                   : absl::InvalidArgumentError(sqlite3_errmsg(db_));
    }
    if (cached) {
      sqlite3_reset(statement);
      sqlite3_clear_bindings(statement);
    } else {
      sqlite3_finalize(statement);
    }
    if (journal_.active && sqlite3_get_autocommit(db_)) {
      // SQLite rolled the open transaction back (SQLITE_FULL, I/O): writes other events made
      // since the last commit are gone, so nothing may be acknowledged any more.
      journal_.active = false;
      journal_.broken = absl::AbortedError(base::StrCat("Durable Object storage: the local transaction was rolled back (",
                                                        sqlite3_errmsg(db_), ")"));
    }
    if (!status.ok()) return status;
  }
  if (next_binding != bindings.size()) {
    return absl::InvalidArgumentError(
        base::StrCat("Wrong number of parameter bindings for SQL query: ", bindings.size(), " given, ", next_binding,
                     " used"));
  }
  return absl::OkStatus();
}

int64_t DoStore::Size() {
  SqlResult result;
  if (!Exec("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", {}, &result).ok() ||
      result.cells.empty()) {
    return 0;
  }
  return result.cells[0].integer;
}

AlarmIndex* AlarmIndex::Get() {
  static AlarmIndex* index = [] () -> AlarmIndex* {
    if (DoConfig().data_dir.empty()) return nullptr;
    absl::StatusOr<sqlite3*> db =
        base::sqlite::OpenShared(DoConfig().data_dir / "do" / "alarms.sqlite3", 5000, kIndexSchema, "Durable Object alarms");
    if (!db.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(db.status().message())).Emit();
      return nullptr;
    }
    return new AlarmIndex(*db);
  }();
  return index;
}

absl::Status AlarmIndex::Set(std::string_view tenant, std::string_view class_name, std::string_view id, int64_t at_ms) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO alarms(tenant, class, id, owner, at) VALUES (?, ?, ?, ?, ?)", -1,
                         &statement, nullptr) != SQLITE_OK) {
    return absl::InternalError(sqlite3_errmsg(db_));
  }
  base::sqlite::BindText(statement, 1, tenant);
  base::sqlite::BindText(statement, 2, class_name);
  base::sqlite::BindText(statement, 3, id);
  sqlite3_bind_int64(statement, 4, ObjectPlacement::Owner(id));
  sqlite3_bind_int64(statement, 5, at_ms);
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  return rc == SQLITE_DONE ? absl::OkStatus() : absl::InternalError(sqlite3_errmsg(db_));
}

absl::Status AlarmIndex::Clear(std::string_view tenant, std::string_view class_name, std::string_view id, int64_t at_ms) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* statement = nullptr;
  // at_ms < 0: whatever time it has; else only that time (a newer alarm set meanwhile stays).
  if (sqlite3_prepare_v2(db_, "DELETE FROM alarms WHERE tenant = ? AND class = ? AND id = ? AND (? < 0 OR at = ?)", -1,
                         &statement, nullptr) != SQLITE_OK) {
    return absl::InternalError(sqlite3_errmsg(db_));
  }
  base::sqlite::BindText(statement, 1, tenant);
  base::sqlite::BindText(statement, 2, class_name);
  base::sqlite::BindText(statement, 3, id);
  sqlite3_bind_int64(statement, 4, at_ms);
  sqlite3_bind_int64(statement, 5, at_ms);
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  return rc == SQLITE_DONE ? absl::OkStatus() : absl::InternalError(sqlite3_errmsg(db_));
}

std::vector<DueAlarm> AlarmIndex::Due(int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  std::vector<DueAlarm> due;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT tenant, class, id, at FROM alarms WHERE owner = ? AND at <= ? LIMIT 100", -1,
                         &statement, nullptr) != SQLITE_OK) {
    return due;
  }
  sqlite3_bind_int64(statement, 1, DoConfig().worker_index);
  sqlite3_bind_int64(statement, 2, now_ms);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    due.push_back({std::string(base::sqlite::Column(statement, 0)), std::string(base::sqlite::Column(statement, 1)),
                   std::string(base::sqlite::Column(statement, 2)), sqlite3_column_int64(statement, 3)});
  }
  sqlite3_finalize(statement);
  return due;
}

}  // namespace atl::kv
