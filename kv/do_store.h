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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kv/do_backend.h"

struct sqlite3_session;

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
  // Cluster mode with [cluster] postgres: where every object's commits go (do_backend.h); null:
  // the SQLite file alone. Compaction: a commit past `snapshot_changes` changesets or
  // `snapshot_bytes` of them since the last snapshot is a snapshot instead.
  std::shared_ptr<DoBackend> backend;
  uint32_t snapshot_changes = 1000;
  uint64_t snapshot_bytes = 8u << 20;
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

// One object's database. Journaled (cluster mode, do_journal.cc): the file is the working copy of
// the object's history in a DoBackend. Its last commit (seq, tag) is kept in `_atoll_sync`; after
// CatchUp every statement runs inside one open local transaction that TakeCommit ends as one
// DoCommit (a changeset of the session extension, or a snapshot), so that the file never holds
// a write without the commit number that names it. Transaction statements (BEGIN, COMMIT, ...)
// from sql.exec are refused then (SAVEPOINTs work).
class DoStore {
 public:
  static absl::StatusOr<std::unique_ptr<DoStore>> Open(const std::filesystem::path& file, uint64_t max_bytes,
                                                       bool journaled = false);
  ~DoStore();
  DoStore(const DoStore&) = delete;
  DoStore& operator=(const DoStore&) = delete;

  // Runs `sql` (one or more statements; the bindings are consumed in order by their `?`s), the
  // last statement's rows into `out`. Errors carry SQLite's message.
  absl::Status Exec(std::string_view sql, const std::vector<SqlValue>& bindings, SqlResult* out);
  // The database's size in bytes (page_count * page_size).
  int64_t Size();
  const std::filesystem::path& file() const { return file_; }

  // Journaled only. The local copy's last commit (0, 0: none).
  uint64_t synced_seq() const { return journal_.seq; }
  uint64_t synced_tag() const { return journal_.tag; }
  // Brings the file to `history` (DoBackend::Load for synced_seq/tag): nothing when it is there,
  // the commits after it when it holds one of the history's, else rebuilt from the history's
  // snapshot (or from empty) and its commits. Then opens the local transaction.
  absl::Status CatchUp(const DoHistory& history);
  // Ends the open local transaction as one commit and opens the next (nullopt: nothing changed).
  // A snapshot when the schema changed, a table has no PRIMARY KEY (the session extension does
  // not see those), or past the compaction limits; a changeset otherwise.
  absl::StatusOr<std::optional<DoCommit>> TakeCommit(uint32_t snapshot_changes, uint64_t snapshot_bytes);
  // Rolls back what no commit took and stops (the store is being closed).
  void StopJournal();

 private:
  // What the journal knows (do_journal.cc).
  struct Journal {
    bool enabled = false;   // opened journaled
    bool active = false;    // CatchUp done: the local transaction is open
    bool fresh = false;     // the file was made by Open
    bool pkless = false;    // a table without PRIMARY KEY exists: every commit is a snapshot
    bool snapshot_next = false;  // the next commit is a snapshot (a file older than the journal)
    bool internal = false;  // our own BEGIN / COMMIT run (the authorizer lets them through)
    uint64_t seq = 0, tag = 0;
    int schema_version = 0;
    int64_t total_changes = 0;  // sqlite3_total_changes64 when the transaction began
    uint64_t since_changes = 0, since_bytes = 0;  // changesets since the last snapshot
    absl::Status broken;    // the open transaction was lost: TakeCommit answers this
  };
  DoStore(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}
  absl::Status StartJournal(bool fresh);
  absl::Status Internal(const char* sql);
  absl::Status WriteSync(uint64_t seq, uint64_t tag);
  absl::Status Rebuild(const DoCommit* snapshot);
  absl::Status Begin();
  int SchemaVersion();
  bool HasTableWithoutKey();
  static int Authorize(void* self, int action, const char*, const char*, const char*, const char*);

  sqlite3* db_;
  std::filesystem::path file_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;  // single-statement queries
  Journal journal_;
  sqlite3_session* session_ = nullptr;
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
