// One Durable Object's storage in cluster mode (do_shared_storage.h).
#include "bindings/do_shared_storage.h"

#include "base/log.h"
#include "base/strings.h"

namespace atl::bindings {

void SharedObjectStorage::Load() {
  std::weak_ptr<SharedObjectStorage> self = weak_from_this();
  backend_->Load(key_, store_->synced_seq(), store_->synced_tag(), [self](absl::StatusOr<kv::DoHistory> history) {
    if (std::shared_ptr<SharedObjectStorage> storage = self.lock()) storage->Loaded(std::move(history));
  });
}

void SharedObjectStorage::Loaded(absl::StatusOr<kv::DoHistory> history) {
  if (!failed_.ok()) return;
  absl::Status caught = history.ok() ? store_->CatchUp(*history) : history.status();
  if (!caught.ok()) return Fail(caught);
  ready_ = true;
  std::vector<Done> waiting = std::move(ready_waiters_);
  ready_waiters_.clear();
  for (Done& done : waiting) done(absl::OkStatus());
}

void SharedObjectStorage::WhenReady(Done done) {
  if (!failed_.ok()) return done(failed_);
  if (ready_) return done(absl::OkStatus());
  ready_waiters_.push_back(std::move(done));
}

void SharedObjectStorage::Sync(Done done) {
  if (!failed_.ok()) return done(failed_);
  if (!ready_) return done(absl::FailedPreconditionError("this Durable Object's storage is not restored yet"));
  if (acked_ < sent_) {
    // A commit is in flight: what changed since goes in the next one, taken when it is
    // acknowledged, together with whatever else changes meanwhile (group commit: one round trip
    // for the writes of every event that ran while the last one was in flight).
    waiters_.emplace_back(kNextCommit, std::move(done));
    return;
  }
  TakeAndSend();
  if (!failed_.ok()) return done(failed_);
  if (acked_ >= sent_) return done(absl::OkStatus());
  waiters_.emplace_back(sent_, std::move(done));
}

void SharedObjectStorage::TakeAndSend() {
  const kv::DoSettings& settings = kv::DoConfig();
  absl::StatusOr<std::optional<kv::DoCommit>> commit = store_->TakeCommit(settings.snapshot_changes, settings.snapshot_bytes);
  if (!commit.ok()) return Fail(commit.status());
  if (commit->has_value()) Send(std::move(**commit));
}

void SharedObjectStorage::Send(kv::DoCommit commit) {
  uint64_t fence = kv::ObjectPlacement::Fence(key_.tenant, key_.class_name, key_.id);
  if (fence == 0) {
    return Fail(absl::FailedPreconditionError(
        "Durable Object storage: this node does not own the object (no fencing token); the write is refused"));
  }
  sent_ = commit.seq;
  uint64_t seq = commit.seq;
  // Held until the backend answers, even if the object is closed meanwhile.
  std::shared_ptr<SharedObjectStorage> self = shared_from_this();
  backend_->Commit(key_, fence, commit, [self, seq](absl::Status status) { self->Committed(seq, std::move(status)); });
}

void SharedObjectStorage::Committed(uint64_t seq, absl::Status status) {
  if (!status.ok()) return Fail(std::move(status));
  if (seq > acked_) acked_ = seq;
  bool next_waits = false;
  for (auto& [waits_for, done] : waiters_) next_waits |= waits_for == kNextCommit;
  if (next_waits && acked_ >= sent_) {
    TakeAndSend();  // sent_ moves on if anything changed; else those waiters are released now
    if (!failed_.ok()) return;
    for (auto& [waits_for, done] : waiters_) {
      if (waits_for == kNextCommit) waits_for = sent_;
    }
  }
  std::vector<Done> released;
  size_t kept = 0;
  for (auto& [waits_for, done] : waiters_) {
    if (waits_for <= acked_) {
      released.push_back(std::move(done));
    } else {
      waiters_[kept++] = {waits_for, std::move(done)};
    }
  }
  waiters_.resize(kept);
  for (Done& done : released) done(absl::OkStatus());
}

void SharedObjectStorage::Fail(absl::Status status) {
  if (failed_.ok()) {
    failed_ = std::move(status);
    base::LogLine(base::LogLevel::kWarn, "Durable Object storage failed; the object will be restored from shared storage")
        .Str("tenant", key_.tenant)
        .Str("class", key_.class_name)
        .Str("id", key_.id)
        .Str("error", base::ToStd(failed_.message()))
        .Emit();
  }
  store_->StopJournal();  // what no commit took is rolled back; the file keeps what was sent
  std::vector<std::pair<uint64_t, Done>> waiting = std::move(waiters_);
  waiters_.clear();
  std::vector<Done> loading = std::move(ready_waiters_);
  ready_waiters_.clear();
  for (auto& [seq, done] : waiting) done(failed_);
  for (Done& done : loading) done(failed_);
}

void SharedObjectStorage::Close() {
  if (ready_ && failed_.ok()) {
    absl::StatusOr<std::optional<kv::DoCommit>> commit =
        store_->TakeCommit(kv::DoConfig().snapshot_changes, kv::DoConfig().snapshot_bytes);
    if (commit.ok() && commit->has_value()) Send(std::move(**commit));
  }
  store_->StopJournal();
}

}  // namespace atl::bindings
