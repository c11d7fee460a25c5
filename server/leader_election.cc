#include "server/leader_election.h"

#include <algorithm>

#include "base/json_writer.h"
#include "base/log.h"
#include "base/strings.h"

namespace atl::server {
namespace {
constexpr uint64_t kRetryMs = 500;
}  // namespace

LeaderElection::LeaderElection(uv_loop_t* loop, EtcdClient* etcd, Options options, std::function<void(bool)> changed)
    : loop_(loop), etcd_(etcd), options_(std::move(options)), changed_(std::move(changed)) {
  uv_timer_init(loop, &keepalive_timer_);
  uv_timer_init(loop, &retry_timer_);
  keepalive_timer_.data = retry_timer_.data = this;
}

LeaderElection::~LeaderElection() { Shutdown(); }

void LeaderElection::Start() {
  uint64_t every = std::max<uint64_t>(200, static_cast<uint64_t>(options_.ttl_s) * 1000 / 3);
  uv_timer_start(&keepalive_timer_, [](uv_timer_t* t) { static_cast<LeaderElection*>(t->data)->KeepAlive(); }, every, every);
  Grant();
}

void LeaderElection::Shutdown() {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&keepalive_timer_))) return;
  stopped_ = true;
  if (watch_ != nullptr) etcd_->CancelWatch(watch_);
  watch_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&keepalive_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
}

void LeaderElection::Resign(std::function<void()> done) {
  stopped_ = true;
  uv_timer_stop(&keepalive_timer_);
  uv_timer_stop(&retry_timer_);
  if (watch_ != nullptr) etcd_->CancelWatch(watch_);
  watch_ = nullptr;
  StepDown("resigned");
  int64_t lease = lease_;
  lease_ = 0;
  if (lease == 0) return done();
  etcd_->LeaseRevoke(lease, [done = std::move(done)](absl::StatusOr<int64_t>) { done(); });
}

void LeaderElection::Grant() {
  if (stopped_ || lease_busy_) return;
  lease_busy_ = true;
  etcd_->LeaseGrant(options_.ttl_s, [this](absl::StatusOr<int64_t> id) {
    lease_busy_ = false;
    if (stopped_) return;
    if (!id.ok()) {
      base::LogLine(base::LogLevel::kWarn, "control: cannot get a lease").Str("error", base::ToStd(id.status().message())).Emit();
      return Retry(kRetryMs);
    }
    lease_ = *id;
    last_keepalive_ms_ = uv_now(loop_);
    Campaign();
  });
}

void LeaderElection::Campaign() {
  if (stopped_ || campaigning_) return;
  if (lease_ == 0) return Grant();
  campaigning_ = true;
  std::string value;
  base::JsonWriter w(&value);
  w.BeginObject();
  w.Key("name");
  w.String(options_.name);
  w.Key("lease");
  w.String(std::to_string(lease_));
  w.EndObject();
  EtcdClient::Compare absent{EtcdClient::Compare::Target::kCreate, options_.key, 0, ""};
  EtcdClient::TxnOp put{false, options_.key, value, lease_};
  etcd_->Txn({absent}, {put}, [this, lease = lease_](absl::StatusOr<EtcdClient::TxnResult> result) {
    campaigning_ = false;
    if (stopped_) return;
    if (!result.ok()) {
      base::LogLine(base::LogLevel::kWarn, "control: cannot campaign").Str("error", base::ToStd(result.status().message())).Emit();
      // The lease expired or was revoked (etcd: "requested lease not found"): a new one at once.
      if (result.status().message().find("lease not found") != absl::string_view::npos && lease == lease_) {
        lease_ = 0;
        return Grant();
      }
      return Retry(kRetryMs);
    }
    if (result->succeeded) {
      Lead(result->revision);  // the put created KEY: its create_revision is the txn's revision
    } else if (result->current && result->current->lease == lease && lease == lease_) {
      Lead(result->current->create_revision);  // KEY is ours already (an earlier campaign won)
    } else {
      StepDown("another candidate leads");
    }
    Watch(result->revision + 1);
  });
}

void LeaderElection::Watch(int64_t from) {
  if (watch_ != nullptr) etcd_->CancelWatch(watch_);
  watch_ = etcd_->StartWatch(options_.key, "", from, this);
}

void LeaderElection::OnEvents(int64_t, std::vector<EtcdClient::WatchEvent> events) {
  bool vacant = false;
  for (const EtcdClient::WatchEvent& event : events) {
    if (event.deleted) {
      vacant = true;
      StepDown("the leader key was deleted");
    } else {
      vacant = false;
      if (leader_ && event.kv.create_revision != token_) StepDown("another candidate leads");
    }
  }
  if (vacant) Campaign();
}

void LeaderElection::OnCompacted(int64_t) {
  watch_ = nullptr;
  Retry(0);
}

void LeaderElection::OnWatchError(const absl::Status& error) {
  watch_ = nullptr;
  if (stopped_) return;
  base::LogLine(base::LogLevel::kWarn, "control: the leader watch broke").Str("error", base::ToStd(error.message())).Emit();
  Retry(kRetryMs / 2);
}

void LeaderElection::Retry(uint64_t delay_ms) {
  if (stopped_) return;
  uv_timer_start(&retry_timer_, [](uv_timer_t* t) { static_cast<LeaderElection*>(t->data)->Campaign(); }, delay_ms, 0);
}

void LeaderElection::KeepAlive() {
  if (stopped_ || lease_busy_) return;
  if (lease_ == 0) return Grant();
  lease_busy_ = true;
  etcd_->LeaseKeepAlive(lease_, [this](absl::StatusOr<int64_t> ttl) {
    lease_busy_ = false;
    if (stopped_) return;
    if (ttl.ok()) {
      last_keepalive_ms_ = uv_now(loop_);
      return;
    }
    if (absl::IsNotFound(ttl.status())) {  // expired or revoked behind our back
      base::LogLine(base::LogLevel::kWarn, "control: the lease expired").Str("name", options_.name).Emit();
      lease_ = 0;
      StepDown("the lease expired");
      return Grant();
    }
    // etcd unreachable: past the TTL the lease has surely expired there.
    if (uv_now(loop_) - last_keepalive_ms_ > static_cast<uint64_t>(options_.ttl_s) * 1000) StepDown("etcd unreachable for longer than the lease");
  });
}

void LeaderElection::Lead(int64_t token) {
  if (leader_ && token_ == token) return;
  leader_ = true;
  token_ = token;
  base::LogLine(base::LogLevel::kInfo, "control: leader").Str("name", options_.name).Int("token", token).Int("lease", lease_).Emit();
  changed_(true);
}

void LeaderElection::StepDown(const char* why) {
  if (!leader_) return;
  leader_ = false;
  token_ = 0;
  base::LogLine(base::LogLevel::kInfo, "control: no longer the leader").Str("name", options_.name).Str("why", why).Emit();
  changed_(false);
}

void LeaderElection::FencedTxn(std::vector<EtcdClient::TxnOp> ops, std::function<void(absl::StatusOr<bool>)> done) {
  if (!leader_) return done(false);
  int64_t token = token_;
  EtcdClient::Compare ours{EtcdClient::Compare::Target::kCreate, options_.key, token, ""};
  etcd_->Txn({ours}, ops, [this, token, done = std::move(done)](absl::StatusOr<EtcdClient::TxnResult> result) {
    if (!result.ok()) return done(result.status());
    if (result->succeeded) return done(true);
    base::LogLine(base::LogLevel::kWarn, "control: a fenced write was refused: this process is not the leader any more")
        .Str("name", options_.name)
        .Int("token", token)
        .Int("current", result->current ? result->current->create_revision : 0)
        .Emit();
    if (leader_ && token_ == token) {
      StepDown("a fenced write was refused");
      Retry(0);
    }
    done(false);
  });
}

}  // namespace atl::server
