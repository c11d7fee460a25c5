#include "base/sqlite.h"

#include <chrono>
#include <thread>

#include "base/strings.h"

namespace atl::base::sqlite {

absl::Status PrepareAll(sqlite3* db, std::initializer_list<Statement> statements, std::string_view what) {
  for (const Statement& statement : statements) {
    if (sqlite3_prepare_v3(db, statement.sql, -1, SQLITE_PREPARE_PERSISTENT, statement.handle, nullptr) != SQLITE_OK) {
      return absl::InternalError(base::StrCat(what, ": ", statement.sql, ": ", sqlite3_errmsg(db)));
    }
  }
  return absl::OkStatus();
}

int ExecRetryingBusy(sqlite3* db, const char* sql, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

absl::StatusOr<sqlite3*> OpenShared(const std::filesystem::path& file, int busy_timeout_ms, const char* schema,
                                    std::string_view what) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return absl::InternalError(StrCat(what, ": ", file.parent_path().string(), ": ", ec.message()));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  auto fail = [&](std::string_view step) {
    absl::Status status =
        absl::InternalError(StrCat(what, ": ", file.string(), step, ": ", db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return status;
  };
  if (rc != SQLITE_OK) return fail("");
  sqlite3_busy_timeout(db, busy_timeout_ms);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", schema}) {
    if (ExecRetryingBusy(db, sql, busy_timeout_ms) != SQLITE_OK) return fail(StrCat(": ", sql == schema ? "schema" : sql));
  }
  return db;
}

std::string_view Column(sqlite3_stmt* statement, int column) {
  const void* data = sqlite3_column_blob(statement, column);
  int size = sqlite3_column_bytes(statement, column);
  return data == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(data), size);
}

void BindBlob(sqlite3_stmt* statement, int index, std::string_view bytes) {
  // A null pointer would bind NULL, not an empty blob.
  sqlite3_bind_blob64(statement, index, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC);
}

void BindText(sqlite3_stmt* statement, int index, std::string_view text) {
  sqlite3_bind_text64(statement, index, text.empty() ? "" : text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

}  // namespace atl::base::sqlite
