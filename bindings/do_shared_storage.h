#pragma once
// One Durable Object's storage in cluster mode (kv::DoConfig().backend set): its journaled local
// SQLite copy (kv::DoStore) kept in step with the object's history in shared storage
// (kv::DoBackend, PostgreSQL: server/pg_do_storage.h). Load() restores the copy before the object
// sees an event; Sync() ends the local transaction as one fenced commit (one in flight at a
// time: writes made meanwhile go in the next one, a group commit) and answers once every write
// made so far is durable (the output gate of durable_objects.js waits for it). A refused
// or failed commit fails the storage for good: every waiter gets the error, the JS half evicts the
// object, and its next event opens it again, restored from shared storage. Answers come later,
// on the event loop (the JS thread); `done` is called at most once, possibly before returning.
//
//   auto shared = std::make_shared<SharedObjectStorage>(key, std::move(store), backend);
//   shared->Load();
//   shared->Sync([](absl::Status durable) { ... });

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "kv/do_backend.h"
#include "kv/do_store.h"

namespace atl::bindings {

class SharedObjectStorage : public std::enable_shared_from_this<SharedObjectStorage> {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;

  SharedObjectStorage(kv::DoObjectKey key, std::unique_ptr<kv::DoStore> store, std::shared_ptr<kv::DoBackend> backend)
      : key_(std::move(key)), store_(std::move(store)), backend_(std::move(backend)) {}

  // Asks the backend for the history and brings the local copy to it.
  void Load();
  // `done` once loaded (or failed).
  void WhenReady(Done done);
  // Takes a commit of what changed since the last one (if anything) and sends it; `done` once
  // every commit taken so far is durable, or with the error that failed the storage.
  void Sync(Done done);
  // The store is being closed: what changed goes in a last commit (nobody waits for it), and the
  // local transaction ends.
  void Close();

  kv::DoStore* store() const { return store_.get(); }
  bool ready() const { return ready_; }
  const absl::Status& failure() const { return failed_; }

 private:
  void Loaded(absl::StatusOr<kv::DoHistory> history);
  static constexpr uint64_t kNextCommit = UINT64_MAX;  // a waiter for the commit not taken yet
  void TakeAndSend();
  void Send(kv::DoCommit commit);
  void Committed(uint64_t seq, absl::Status status);
  void Fail(absl::Status status);

  kv::DoObjectKey key_;
  std::unique_ptr<kv::DoStore> store_;
  std::shared_ptr<kv::DoBackend> backend_;
  bool ready_ = false;
  absl::Status failed_;
  uint64_t sent_ = 0;   // the last commit handed to the backend
  uint64_t acked_ = 0;  // the last commit it acknowledged (commits are acknowledged in order)
  std::vector<std::pair<uint64_t, Done>> waiters_;  // (commit or kNextCommit, done)
  std::vector<Done> ready_waiters_;
};

}  // namespace atl::bindings
