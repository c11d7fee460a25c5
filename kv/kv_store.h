#pragma once
// KV namespaces (SPEC §3; Cloudflare Workers KV semantics) on SQLite: one database file per
// namespace, `<data_dir>/kv/<namespace>.sqlite3`, in WAL mode with synchronous=NORMAL (see
// README.md: a commit survives a crash of the process; a power loss may lose the last ones).
// Every call is a short, synchronous SQLite statement in autocommit mode: when Put returns, the
// value is committed. Calls are serialized by a mutex, so a store may be shared by threads.
//
//   KvRegistry registry(data_dir);
//   absl::StatusOr<std::shared_ptr<KvStore>> store = registry.Open("hello-store");
//   (*store)->Put("k", "v", /*expiration=*/0, /*metadata=*/"", KvNow());
//   (*store)->Get("k", KvNow(), [](const KvRow& row) { use(row.value); });

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace atl::kv {

// The clock expirations are measured against: Unix seconds. A test may move it forward with the
// environment variable ATOLL_KV_TEST_CLOCK_OFFSET (seconds, read once per process).
int64_t KvNow();

// A row as SQLite holds it; the views are valid during the callback only.
struct KvRow {
  std::string_view value;
  std::string_view metadata;  // JSON text; empty: none
  int64_t expiration = 0;     // Unix seconds; 0: never
};

struct KvListedKey {
  std::string name;
  int64_t expiration = 0;
  std::string metadata;
};

struct KvListResult {
  std::vector<KvListedKey> keys;
  bool complete = true;
  std::string cursor;  // where the next page starts; empty when complete
};

class KvStore {
 public:
  // Opens (creating it and its folder if needed) the database at `file`.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const std::filesystem::path& file);
  ~KvStore();
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // Calls `found` with the live row of `key` and returns true; false if there is none or it
  // expired at `now` (an expired row is deleted then).
  absl::StatusOr<bool> Get(std::string_view key, int64_t now, absl::FunctionRef<void(const KvRow&)> found);
  // Writes `key`, committed on return. `expiration` 0: never; `metadata` empty: none. Also
  // deletes a few rows that expired before `now`.
  absl::Status Put(std::string_view key, std::string_view value, int64_t expiration, std::string_view metadata,
                   int64_t now);
  absl::Status Delete(std::string_view key);
  // Live keys starting with `prefix`, in byte order, after `cursor` (from a previous page; empty
  // for the first), at most `limit`.
  absl::StatusOr<KvListResult> List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now);

  // The number of rows, expired ones included (for tests).
  int64_t RowCountForTesting();

 private:
  explicit KvStore(sqlite3* db) : db_(db) {}
  absl::Status Prepare();
  absl::Status Error(std::string_view what) const;

  absl::Mutex mu_;
  sqlite3* db_;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* list_ = nullptr;
  sqlite3_stmt* sweep_ = nullptr;
  uint32_t puts_since_sweep_ = 0;
};

// The namespaces of one process: each opened once, whoever names it (two tenants binding the same
// namespace share one store).
class KvRegistry {
 public:
  explicit KvRegistry(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  // `name` is a namespace name as the config validated it ([a-z0-9_-]{1,63}).
  absl::StatusOr<std::shared_ptr<KvStore>> Open(const std::string& name);

 private:
  std::filesystem::path data_dir_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<KvStore>> stores_;
};

}  // namespace atl::kv
