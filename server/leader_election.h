#pragma once
// Leader election among `atoll control` processes through etcd (README.md "Running a fleet" ->
// "Placement controller"). Each candidate holds a lease of `ttl_s` seconds (kept alive every
// TTL/3) and campaigns with one transaction: put KEY = {"name","lease"} under its lease only if
// KEY does not exist (compare create_revision == 0). The winner is the leader for as long as KEY
// lives with the create_revision its put gave it; the others watch KEY and campaign again when it
// is deleted (the leader's lease expired after a kill -9, or was revoked: Resign() on SIGTERM).
//
// Fencing: the leader writes only through FencedTxn(), a transaction that also compares KEY's
// create_revision to its own, so a leader deposed behind its back (its lease expired while it
// was stopped, another candidate won since) cannot write anything: its transaction fails, and it
// steps down.
//
//   LeaderElection election(loop, &etcd, {.key = keys.ControlLeader(), .name = "ctl-1", .ttl_s = 3},
//                           [](bool leader) { ... });
//   election.Start();
//   election.FencedTxn({{.key = keys.Placement("shop"), .value = "..."}}, [](absl::StatusOr<bool> written) { ... });

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/etcd_client.h"

namespace atl::server {

class LeaderElection : public EtcdClient::WatchHandler {
 public:
  struct Options {
    std::string key;   // PREFIX control/leader
    std::string name;  // this candidate's name (written in the key's value)
    int64_t ttl_s = 3;
  };

  // `changed(true)` when this candidate becomes the leader, `changed(false)` when it stops being it.
  LeaderElection(uv_loop_t* loop, EtcdClient* etcd, Options options, std::function<void(bool leader)> changed);
  ~LeaderElection() override;
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  void Start();
  // Stops campaigning and revokes the lease (KEY goes at once if this was the leader); `done`
  // once etcd answered (or failed).
  void Resign(std::function<void()> done);
  // Closes the timers and the watch; no callback afterwards.
  void Shutdown();

  bool leader() const { return leader_; }
  int64_t lease() const { return lease_; }
  // KEY's create_revision while this candidate leads (the fencing token), else 0.
  int64_t token() const { return leader_ ? token_ : 0; }

  // Runs `ops` only if KEY still has this leader's create_revision. true: written; false: not the
  // leader (any more: it steps down); an error: etcd did not answer.
  void FencedTxn(std::vector<EtcdClient::TxnOp> ops, std::function<void(absl::StatusOr<bool>)> done);

  // EtcdClient::WatchHandler (the watch on KEY)
  void OnEvents(int64_t revision, std::vector<EtcdClient::WatchEvent> events) override;
  void OnCompacted(int64_t compact_revision) override;
  void OnWatchError(const absl::Status& error) override;

 private:
  void Grant();
  void Campaign();
  void Watch(int64_t from);
  void KeepAlive();
  void Lead(int64_t token);
  void StepDown(const char* why);
  // Campaigns again after `delay_ms` (etcd unreachable, a watch broken).
  void Retry(uint64_t delay_ms);

  uv_loop_t* loop_;
  EtcdClient* etcd_;
  Options options_;
  std::function<void(bool)> changed_;
  uv_timer_t keepalive_timer_, retry_timer_;
  EtcdClient::Watch* watch_ = nullptr;
  int64_t lease_ = 0;
  int64_t token_ = 0;
  uint64_t last_keepalive_ms_ = 0;  // when etcd last confirmed the lease
  bool leader_ = false, campaigning_ = false, lease_busy_ = false, stopped_ = false;
};

}  // namespace atl::server
