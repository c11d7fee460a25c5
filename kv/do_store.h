#pragma once
// Durable Objects' storage (https://developers.cloudflare.com/durable-objects/api/storage-api/):
// one SQLite database per object, `<data_dir>/do/<tenant>/<class>/<id>.sqlite3`, WAL with
// synchronous=NORMAL like kv/ (a commit survives kill -9 once it returns). Every call is
// synchronous on the JS thread; the KV API of ctx.storage is a hidden table (`_cf_KV`) and the
// alarm another (`_atoll_alarm`), both reached through Exec like ctx.storage.sql.exec. The size
// limit per object is SQLite's max_page_count. Also here: the process-wide settings, which worker
// process owns an object id (ObjectPlacement, the ONE place that decides it), and the alarm
// index every process scans (`<data_dir>/do/alarms.sqlite3`).
//
//   absl::StatusOr<std::unique_ptr<DoStore>> store = DoStore::Open(file, max_bytes);
//   (*store)->Exec("SELECT v FROM t WHERE k = ?", {SqlValue::Text("a")}, &result);

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace atl::kv {

// Which node runs a Durable Object, as this process knows it (cluster mode).
struct ObjectRoute {
  enum Kind { kUnknown, kHere, kRemote } kind = kUnknown;
  std::string node;     // kRemote: the owner node's name
  uint64_t token = 0;   // kHere: this node's fencing token for the object
};

// Durable Objects' process-wide settings, set once by the server at start-up.
struct DoSettings {
  std::filesystem::path data_dir;     // empty: Durable Objects are not available
  uint32_t worker_index = 0;          // this process
  uint32_t workers = 1;               // processes of the server
  uint64_t max_bytes = 1ull << 30;    // [server] do_max_storage: one object's database
  uint32_t idle_ms = 10000;           // [server] do_idle_ms: an object idle that long is evicted
  std::string secret;                 // authenticates forwarded calls between worker processes
  // Cluster mode: this process's fencing token for an object it owns (the etcd revision of its
  // owner claim), 0 when it does not own it (then it must not write). Unset: single node, 1.
  std::function<uint64_t(std::string_view tenant, std::string_view class_name, std::string_view id)> fence;
  // Cluster mode (server/cluster_objects.h); both unset on a single node. `where`: the owner as
  // this process's cache says, at once (kUnknown: not known, or this node's lease is not valid);
  // `resolve`: the owner from etcd, claiming the object for this node if nobody owns it; `done`
  // runs later on the loop (an error: the object cannot be placed now).
  std::function<ObjectRoute(std::string_view tenant, std::string_view class_name, std::string_view id)> where;
  std::function<void(std::string_view tenant, std::string_view class_name, std::string_view id,
                     std::function<void(absl::StatusOr<ObjectRoute>)> done)>
      resolve;
};
DoSettings& DoConfig();

// Which worker process owns object `id` (64 hex digits): the only placement decision within a
// node. Today: a hash of the id modulo the process count, so every process answers the same. In
// cluster mode the owner node is decided first (server/cluster_objects.h, DoSettings::where).
class ObjectPlacement {
 public:
  static uint32_t Owner(std::string_view id);
  static bool IsLocal(std::string_view id) { return Owner(id) == DoConfig().worker_index; }
  // The fencing token a write to the object's shared storage carries (DoSettings::fence); a
  // store refuses a write whose token is lower than one it has seen (cluster mode, PostgreSQL).
  static uint64_t Fence(std::string_view tenant, std::string_view class_name, std::string_view id);
};

// A value SQLite holds.
struct SqlValue {
  enum Type { kNull, kInteger, kReal, kText, kBlob } type = kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // kText, kBlob
};

struct SqlResult {
  std::vector<std::string> columns;
  std::vector<SqlValue> cells;  // row-major, columns.size() per row
  int64_t rows_read = 0;
  int64_t rows_written = 0;
};

class DoStore {
 public:
  static absl::StatusOr<std::unique_ptr<DoStore>> Open(const std::filesystem::path& file, uint64_t max_bytes);
  ~DoStore();
  DoStore(const DoStore&) = delete;
  DoStore& operator=(const DoStore&) = delete;

  // Runs `sql` (one or more statements; the bindings are consumed in order by their `?`s), the
  // last statement's rows into `out`. Errors carry SQLite's message.
  absl::Status Exec(std::string_view sql, const std::vector<SqlValue>& bindings, SqlResult* out);
  // The database's size in bytes (page_count * page_size).
  int64_t Size();
  const std::filesystem::path& file() const { return file_; }

 private:
  DoStore(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}
  sqlite3* db_;
  std::filesystem::path file_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;  // single-statement queries
};

// The alarms of every object of this data_dir, so that a process finds them at start-up.
struct DueAlarm {
  std::string tenant, class_name, id;
  int64_t at_ms = 0;
};
class AlarmIndex {
 public:
  static AlarmIndex* Get();  // null without data_dir or if it cannot be opened (logged)
  absl::Status Set(std::string_view tenant, std::string_view class_name, std::string_view id, int64_t at_ms);
  absl::Status Clear(std::string_view tenant, std::string_view class_name, std::string_view id, int64_t at_ms);
  // Alarms due at `now_ms` whose objects this process owns.
  std::vector<DueAlarm> Due(int64_t now_ms);

 private:
  explicit AlarmIndex(sqlite3* db) : db_(db) {}
  absl::Mutex mu_;
  sqlite3* db_;
};

}  // namespace atl::kv
