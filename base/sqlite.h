#pragma once
// SQLite helpers shared by the stores built on it (kv/ KV namespaces, cache/ the Cache API): a
// database file shared by every worker process (WAL, synchronous=NORMAL, busy waits), and the
// statement helpers each store repeats otherwise. Target atoll_sqlite (so atoll_base itself
// does not link SQLite). See kv/README.md for why WAL and NORMAL.
//
//   absl::StatusOr<sqlite3*> db = base::sqlite::OpenShared(file, 5000, kSchema, "KV store");
//   base::sqlite::Reset reset{statement};
//   base::sqlite::BindBlob(statement, 1, key);

#include <sqlite3.h>

#include <filesystem>
#include <initializer_list>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::base::sqlite {

// Opens (creating it and its folder) a database that other processes open too: a busy timeout,
// WAL (readers never wait for the writer, a commit is one append), synchronous=NORMAL (a commit
// survives kill -9 once it returns; fsync at checkpoints only), then `schema`. Each step is
// retried while SQLite answers busy (switching a new file to WAL needs it alone). Errors read
// "WHAT: FILE: STEP: SQLite's message".
absl::StatusOr<sqlite3*> OpenShared(const std::filesystem::path& file, int busy_timeout_ms, const char* schema,
                                    std::string_view what);

// One statement a store prepares once, persistent, and where its handle goes.
struct Statement {
  sqlite3_stmt** handle;
  const char* sql;
};
// Prepares every statement; the first that fails is "WHAT: SQL: SQLite's message".
absl::Status PrepareAll(sqlite3* db, std::initializer_list<Statement> statements, std::string_view what);

// sqlite3_exec, again while SQLite answers busy or locked, for up to `timeout_ms`.
int ExecRetryingBusy(sqlite3* db, const char* sql, int timeout_ms);

// The bytes of a BLOB or TEXT column (empty for NULL); valid until the statement steps or resets.
std::string_view Column(sqlite3_stmt* statement, int column);

// Binds bytes as a BLOB (an empty one, not NULL, for no bytes) / as UTF-8 TEXT; not copied.
void BindBlob(sqlite3_stmt* statement, int index, std::string_view bytes);
void BindText(sqlite3_stmt* statement, int index, std::string_view text);

// Resets a statement and clears its bindings when the scope that used it ends.
struct Reset {
  sqlite3_stmt* statement;
  ~Reset() {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
  }
};

}  // namespace atl::base::sqlite
