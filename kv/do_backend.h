#pragma once
// The seam between a Durable Object's local SQLite working copy (DoStore, do_store.h) and the
// shared storage that makes it durable beyond one node: cluster mode's PostgreSQL
// (server/pg_do_storage.h). The local copy stays where reads and writes run (synchronously, on
// the JS thread); each local transaction becomes one DoCommit (a SQLite changeset, or a whole
// snapshot of the database) that the backend appends to the object's history, fenced: a commit
// whose token is lower than the highest one the object has seen, or that does not follow its
// head, is refused. Answers come through `done`, once, later, on the thread that drives the
// backend (the worker process's event loop, which is also the JS thread). No backend
// (DoSettings::backend null): single node, the SQLite file alone, exactly as before.
//
//   backend->Commit({tenant, class_name, id}, fence, commit, [](absl::Status s) { ... });

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::kv {

// Which object: its tenant, class and id (64 hex digits).
struct DoObjectKey {
  std::string tenant, class_name, id;
};

// One commit of an object: what one local transaction changed.
struct DoCommit {
  uint64_t seq = 0;       // 1, 2, ...: the object's commits, in order, without gaps
  uint64_t tag = 0;       // random, tells this commit from another one with the same seq
  bool snapshot = false;  // `data` is the whole database (sqlite3_serialize), not a changeset
  bool has_data = true;   // false in a history: the caller holds this commit already
  uint64_t size = 0;      // bytes of data (also when has_data is false)
  std::string data;
};

// An object's history as shared storage holds it: from its latest snapshot (or from commit 1
// when it never had one) to its head.
struct DoHistory {
  bool exists = false;    // false: no commit was ever made
  uint64_t fence = 0;     // the highest fencing token a commit carried
  uint64_t seq = 0, tag = 0;  // the head
  std::vector<DoCommit> commits;
};

// Where an object's commits are made durable (one per worker process, on its event loop).
class DoBackend {
 public:
  using LoadDone = absl::AnyInvocable<void(absl::StatusOr<DoHistory>)>;
  using CommitDone = absl::AnyInvocable<void(absl::Status)>;
  virtual ~DoBackend() = default;

  // The history; the commits up to (have_seq, have_tag) come without data when that commit is in
  // it (the caller holds them). Unavailable when the storage cannot be reached.
  virtual void Load(const DoObjectKey& key, uint64_t have_seq, uint64_t have_tag, LoadDone done) = 0;
  // Appends `commit` (a snapshot drops the commits before it) when `fence` is at least the highest
  // token seen and commit.seq is the head's + 1; else FailedPrecondition (the message says which
  // and the stored head). Ok means durable.
  virtual void Commit(const DoObjectKey& key, uint64_t fence, const DoCommit& commit, CommitDone done) = 0;
};

}  // namespace atl::kv
