// A journaled DoStore (do_store.h): the local SQLite file as the working copy of an object's
// history in shared storage (do_backend.h). Changes are captured with SQLite's session extension
// (Debian's libsqlite3 is built with it); snapshots are sqlite3_serialize images, restored
// through an in-memory database and sqlite3_backup.
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>
#include <openssl/rand.h>

#include <cstring>

#include "base/sqlite.h"
#include "base/strings.h"
#include "kv/do_store.h"

namespace atl::kv {
namespace {

// The object's base schema (as Open makes it) and the journal's own table, which the session
// does not record (it is written with every commit; a snapshot carries it).
constexpr const char* kBaseSchema =
    "CREATE TABLE IF NOT EXISTS _cf_KV(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS _atoll_alarm(one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL);";
constexpr const char* kSyncSchema =
    "CREATE TABLE IF NOT EXISTS _atoll_sync(one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL,"
    " tag INTEGER NOT NULL);";
constexpr const char* kSyncTable = "_atoll_sync";

absl::Status SqliteError(sqlite3* db, std::string_view step) {
  return absl::InternalError(base::StrCat("Durable Object storage: ", step, ": ", sqlite3_errmsg(db)));
}

uint64_t RandomTag() {
  uint64_t tag = 0;
  while (tag == 0) {
    RAND_bytes(reinterpret_cast<unsigned char*>(&tag), sizeof tag);
    tag &= 0x7fffffffffffffffull;  // a PostgreSQL bigint
  }
  return tag;
}

int AbortOnConflict(void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }

}  // namespace

int DoStore::Authorize(void* self, int action, const char*, const char*, const char*, const char*) {
  auto* store = static_cast<DoStore*>(self);
  if (action == SQLITE_TRANSACTION && !store->journal_.internal) return SQLITE_DENY;
  return SQLITE_OK;
}

absl::Status DoStore::Internal(const char* sql) {
  journal_.internal = true;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  journal_.internal = false;
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, sql);
}

absl::Status DoStore::StartJournal(bool fresh) {
  journal_.enabled = true;
  journal_.fresh = fresh;
  if (absl::Status made = Internal(kSyncSchema); !made.ok()) return made;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT seq, tag FROM _atoll_sync", -1, &statement, nullptr) != SQLITE_OK) {
    return SqliteError(db_, "reading _atoll_sync");
  }
  bool synced = sqlite3_step(statement) == SQLITE_ROW;
  if (synced) {
    journal_.seq = static_cast<uint64_t>(sqlite3_column_int64(statement, 0));
    journal_.tag = static_cast<uint64_t>(sqlite3_column_int64(statement, 1));
  }
  sqlite3_finalize(statement);
  if (!synced && fresh) {
    if (absl::Status written = WriteSync(0, 0); !written.ok()) return written;
    synced = true;
  }
  // A file written before it was journaled (single node, then cluster mode): its first commit
  // is a snapshot, unless shared storage has the object already (CatchUp then rebuilds it).
  journal_.snapshot_next = !synced && !fresh;
  sqlite3_set_authorizer(db_, &DoStore::Authorize, this);
  return absl::OkStatus();
}

int DoStore::SchemaVersion() {
  sqlite3_stmt* statement = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(db_, "PRAGMA schema_version", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    version = sqlite3_column_int(statement, 0);
  }
  sqlite3_finalize(statement);
  return version;
}

bool DoStore::HasTableWithoutKey() {
  sqlite3_stmt* statement = nullptr;
  const char* sql =
      "SELECT count(*) FROM sqlite_schema s WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite_%'"
      " AND NOT EXISTS (SELECT 1 FROM pragma_table_info(s.name) WHERE pk > 0)";
  bool any = true;  // when unsure: snapshots, which are always right
  if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW) {
    any = sqlite3_column_int(statement, 0) > 0;
  }
  sqlite3_finalize(statement);
  return any;
}

absl::Status DoStore::WriteSync(uint64_t seq, uint64_t tag) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO _atoll_sync(one, seq, tag) VALUES (1, ?, ?)", -1, &statement,
                         nullptr) != SQLITE_OK) {
    return SqliteError(db_, "writing _atoll_sync");
  }
  sqlite3_bind_int64(statement, 1, static_cast<int64_t>(seq));
  sqlite3_bind_int64(statement, 2, static_cast<int64_t>(tag));
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  return rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, "writing _atoll_sync");
}

absl::Status DoStore::Begin() {
  if (absl::Status begun = Internal("BEGIN"); !begun.ok()) return begun;
  if (session_ != nullptr) sqlite3session_delete(session_);
  session_ = nullptr;
  if (sqlite3session_create(db_, "main", &session_) != SQLITE_OK) return SqliteError(db_, "sqlite3session_create");
  sqlite3session_table_filter(
      session_, [](void*, const char* table) { return std::strcmp(table, kSyncTable) == 0 ? 0 : 1; }, nullptr);
  if (sqlite3session_attach(session_, nullptr) != SQLITE_OK) return SqliteError(db_, "sqlite3session_attach");
  journal_.schema_version = SchemaVersion();
  journal_.total_changes = sqlite3_total_changes64(db_);
  journal_.active = true;
  return absl::OkStatus();
}

// Replaces the whole database with `snapshot`'s image, or with an empty object's schema.
absl::Status DoStore::Rebuild(const DoCommit* snapshot) {
  sqlite3* memory = nullptr;
  if (sqlite3_open(":memory:", &memory) != SQLITE_OK) {
    sqlite3_close(memory);
    return absl::InternalError("Durable Object storage: cannot open an in-memory database");
  }
  int rc = SQLITE_OK;
  if (snapshot != nullptr) {
    auto* image = static_cast<unsigned char*>(sqlite3_malloc64(snapshot->data.size()));
    if (image == nullptr) {
      sqlite3_close(memory);
      return absl::ResourceExhaustedError("Durable Object storage: no memory for the snapshot");
    }
    std::memcpy(image, snapshot->data.data(), snapshot->data.size());
    // The image is of a WAL database; an in-memory one reads it as a rollback-journal one.
    if (snapshot->data.size() >= 100) image[18] = image[19] = 1;
    rc = sqlite3_deserialize(memory, "main", image, static_cast<sqlite3_int64>(snapshot->data.size()),
                             static_cast<sqlite3_int64>(snapshot->data.size()),
                             SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  } else {
    rc = sqlite3_exec(memory, kBaseSchema, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_exec(memory, kSyncSchema, nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    absl::Status error = SqliteError(memory, "loading the snapshot");
    sqlite3_close(memory);
    return error;
  }
  sqlite3_backup* backup = sqlite3_backup_init(db_, "main", memory, "main");
  if (backup == nullptr) {
    sqlite3_close(memory);
    return SqliteError(db_, "restoring the snapshot");
  }
  rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  sqlite3_close(memory);
  if (rc != SQLITE_DONE) return SqliteError(db_, "restoring the snapshot");
  return absl::OkStatus();
}

absl::Status DoStore::CatchUp(const DoHistory& history) {
  if (!journal_.enabled || journal_.active) return absl::FailedPreconditionError("CatchUp: not a journaled store");
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  statements_.clear();
  uint64_t since_changes = 0, since_bytes = 0;
  for (const DoCommit& commit : history.commits) {
    if (!commit.snapshot) ++since_changes, since_bytes += commit.size;
  }
  if (!history.exists) {
    if (journal_.seq != 0) {
      // The file holds commits shared storage never acknowledged (made just before a crash):
      // they were never answered, so the object starts empty.
      if (absl::Status rebuilt = Rebuild(nullptr); !rebuilt.ok()) return rebuilt;
      if (absl::Status written = WriteSync(0, 0); !written.ok()) return written;
      journal_.seq = journal_.tag = 0;
      journal_.snapshot_next = false;
    }
  } else if (history.seq != journal_.seq || history.tag != journal_.tag) {
    journal_.snapshot_next = false;
    // Where to start: after the commit the file holds when the history has it, else from the
    // history's first commit (a snapshot, or commit 1 on an empty database).
    size_t first = 0;
    bool holds = false;
    for (size_t i = 0; i < history.commits.size(); ++i) {
      if (history.commits[i].seq == journal_.seq && history.commits[i].tag == journal_.tag) {
        holds = true;
        first = i + 1;
      }
    }
    uint64_t expected = holds ? journal_.seq + 1 : (history.commits.empty() ? 0 : history.commits[0].seq);
    for (size_t i = first; i < history.commits.size(); ++i, ++expected) {
      const DoCommit& commit = history.commits[i];
      if (commit.seq != expected || !commit.has_data || (commit.snapshot && i != first) ||
          (!holds && i == first && !commit.snapshot && commit.seq != 1)) {
        return absl::DataLossError(base::StrCat("Durable Object storage: the shared history is not contiguous at commit ",
                                                commit.seq));
      }
    }
    if (history.commits.empty() || history.commits.back().seq != history.seq) {
      return absl::DataLossError("Durable Object storage: the shared history does not end at its head");
    }
    if (!holds) {
      const DoCommit& base = history.commits[0];
      if (absl::Status rebuilt = Rebuild(base.snapshot ? &base : nullptr); !rebuilt.ok()) return rebuilt;
      if (base.snapshot) first = 1;
    }
    if (absl::Status begun = Internal("BEGIN"); !begun.ok()) return begun;
    absl::Status applied;
    for (size_t i = first; i < history.commits.size() && applied.ok(); ++i) {
      const DoCommit& commit = history.commits[i];
      int rc = sqlite3changeset_apply(db_, static_cast<int>(commit.data.size()), const_cast<char*>(commit.data.data()),
                                      nullptr, AbortOnConflict, nullptr);
      if (rc != SQLITE_OK) {
        applied = absl::DataLossError(base::StrCat("Durable Object storage: commit ", commit.seq,
                                                   " does not apply to the database before it: ", sqlite3_errmsg(db_)));
      }
    }
    if (applied.ok()) applied = WriteSync(history.seq, history.tag);
    if (applied.ok()) applied = Internal("COMMIT");
    if (!applied.ok()) {
      Internal("ROLLBACK").IgnoreError();
      return applied;
    }
    journal_.seq = history.seq;
    journal_.tag = history.tag;
  } else {
    journal_.snapshot_next = false;
  }
  journal_.since_changes = since_changes;
  journal_.since_bytes = since_bytes;
  journal_.pkless = HasTableWithoutKey();
  return Begin();
}

absl::StatusOr<std::optional<DoCommit>> DoStore::TakeCommit(uint32_t snapshot_changes, uint64_t snapshot_bytes) {
  if (!journal_.broken.ok()) return journal_.broken;
  if (!journal_.active) return absl::FailedPreconditionError("Durable Object storage: not journaling");
  int schema_version = SchemaVersion();
  bool schema_changed = schema_version != journal_.schema_version;
  // Rows of a table without PRIMARY KEY changed: only the row counter tells.
  bool unseen = journal_.pkless && sqlite3_total_changes64(db_) != journal_.total_changes;
  if (sqlite3session_isempty(session_) && !schema_changed && !journal_.snapshot_next && !unseen) return std::nullopt;
  if (schema_changed) journal_.pkless = HasTableWithoutKey();
  DoCommit commit;
  commit.snapshot = journal_.snapshot_next || schema_changed || journal_.pkless;
  if (!commit.snapshot) {
    int size = 0;
    void* bytes = nullptr;
    if (sqlite3session_changeset(session_, &size, &bytes) != SQLITE_OK) return SqliteError(db_, "sqlite3session_changeset");
    commit.data.assign(static_cast<const char*>(bytes), static_cast<size_t>(size));
    sqlite3_free(bytes);
    if (commit.data.empty()) return std::nullopt;  // changes that cancelled out
    if (journal_.since_changes + 1 >= snapshot_changes || journal_.since_bytes + commit.data.size() >= snapshot_bytes) {
      commit.snapshot = true;  // compaction: this commit replaces the history before it
      commit.data.clear();
    }
  }
  commit.seq = journal_.seq + 1;
  commit.tag = RandomTag();
  absl::Status written = WriteSync(commit.seq, commit.tag);
  if (written.ok()) written = Internal("COMMIT");
  if (!written.ok()) {
    journal_.active = false;
    journal_.broken = written;
    Internal("ROLLBACK").IgnoreError();
    return written;
  }
  journal_.active = false;
  journal_.seq = commit.seq;
  journal_.tag = commit.tag;
  journal_.snapshot_next = false;
  if (commit.snapshot) {
    sqlite3_int64 size = 0;
    unsigned char* image = sqlite3_serialize(db_, "main", &size, 0);
    if (image == nullptr) {
      journal_.broken = SqliteError(db_, "sqlite3_serialize");
      return journal_.broken;
    }
    commit.data.assign(reinterpret_cast<const char*>(image), static_cast<size_t>(size));
    sqlite3_free(image);
    journal_.since_changes = journal_.since_bytes = 0;
  } else {
    ++journal_.since_changes;
    journal_.since_bytes += commit.data.size();
  }
  commit.size = commit.data.size();
  if (absl::Status begun = Begin(); !begun.ok()) {
    journal_.broken = begun;
    return begun;
  }
  return commit;
}

void DoStore::StopJournal() {
  if (session_ != nullptr) sqlite3session_delete(session_);
  session_ = nullptr;
  if (journal_.active) Internal("ROLLBACK").IgnoreError();
  journal_.active = false;
}

}  // namespace atl::kv
