// ClusterObjects (server/cluster_objects.h) in-process against a real etcd: the fencing point
// without the rest of a node. A process that does not run for longer than its lease's TTL (as
// under SIGSTOP) must hold no token for its objects at the first instant it runs again, before
// any answer or event from etcd could have told it; while the lease is renewed it keeps them.
#include <gtest/gtest.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "config/cluster_layout.h"
#include "server/cluster_objects.h"
#include "server/etcd_client.h"
#include "tests/etcd_loop_test.h"

namespace atl::server {
namespace {

constexpr char kId[] = "00000000000000000000000000000000000000000000000000000000000000ab";

class ClusterObjectsFenceTest : public testing::EtcdLoopTest {
 protected:
  void TearDown() override {  // the objects first: they use the client
    for (auto& objects : objects_) objects->Shutdown();
    if (client_) client_->Shutdown();
    uv_run(&loop_, UV_RUN_NOWAIT);
    objects_.clear();
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  // Node `name` registered as its worker 0 would: a lease of `ttl_s` and nodes/NAME under it.
  int64_t Register(const std::string& name, int64_t ttl_s) {
    std::optional<absl::StatusOr<int64_t>> lease, put;
    client_->LeaseGrant(ttl_s, [&](absl::StatusOr<int64_t> r) { lease = r; });
    RunUntil([&] { return lease.has_value(); });
    EXPECT_TRUE(lease && lease->ok());
    if (!lease || !lease->ok()) return 0;
    config::NodeRecord record{"127.0.0.1:1", 1, 1};
    client_->Put(config::ClusterKeys("/atoll/").Node(name), config::EncodeNodeRecord(record), **lease,
                 [&](absl::StatusOr<int64_t> r) { put = r; });
    RunUntil([&] { return put.has_value(); });
    return **lease;
  }
  ClusterObjects* Objects(const std::string& name, uint32_t ttl_s) {
    config::ClusterConfig cluster;
    cluster.etcd = etcd_.url();
    cluster.node_name = name;
    cluster.lease_ttl_s = ttl_s;
    objects_.push_back(std::make_unique<ClusterObjects>(&loop_, cluster));
    objects_.back()->Start();
    return objects_.back().get();
  }
  absl::StatusOr<kv::ObjectRoute> Resolve(ClusterObjects* objects) {
    std::optional<absl::StatusOr<kv::ObjectRoute>> route;
    objects->Resolve("t", "Counter", kId, [&](absl::StatusOr<kv::ObjectRoute> r) { route = std::move(r); });
    RunUntil([&] { return route.has_value(); });
    return route ? *route : absl::StatusOr<kv::ObjectRoute>(absl::DeadlineExceededError("no answer"));
  }

  std::vector<std::unique_ptr<ClusterObjects>> objects_;
};

TEST_F(ClusterObjectsFenceTest, AProcessThatDidNotRunPastItsLeaseHoldsNoToken) {
  constexpr int kTtl = 2;
  int64_t lease = Register("n1", kTtl);
  ASSERT_NE(lease, 0);
  ClusterObjects* n1 = Objects("n1", kTtl);
  ASSERT_TRUE(RunUntil([&] { return n1->lease_valid(); }));
  absl::StatusOr<kv::ObjectRoute> claimed = Resolve(n1);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->kind, kv::ObjectRoute::kHere);
  uint64_t token = claimed->token;
  EXPECT_GT(token, 0u);
  EXPECT_EQ(n1->NodeFence("t", "Counter", kId), token);
  EXPECT_EQ(n1->NodeFence("t", "Counter", std::string(64, 'c')), 0u);  // never claimed

  // Renewed (as worker 0 does every TTL/3) for twice the TTL: the token holds throughout.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2 * kTtl);
  auto next_renewal = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < until) {
    if (std::chrono::steady_clock::now() >= next_renewal) {
      client_->LeaseKeepAlive(lease, [](absl::StatusOr<int64_t>) {});
      next_renewal += std::chrono::milliseconds(kTtl * 1000 / 3);
    }
    uv_run(&loop_, UV_RUN_NOWAIT);
    ASSERT_EQ(n1->NodeFence("t", "Counter", kId), token);
    usleep(2000);
  }

  // The process does not run (its loop, here) for longer than the TTL, and nobody renews the
  // lease. At the first instant it runs again, before it hears anything from etcd: no token.
  std::this_thread::sleep_for(std::chrono::milliseconds(kTtl * 1000 + 1000));
  EXPECT_EQ(n1->NodeFence("t", "Counter", kId), 0u);
  EXPECT_EQ(n1->Where("t", "Counter", kId).kind, kv::ObjectRoute::kUnknown);
  EXPECT_FALSE(n1->lease_valid());
  // And it cannot claim anything now.
  absl::StatusOr<kv::ObjectRoute> refused = Resolve(n1);
  EXPECT_FALSE(refused.ok());

  // Another node claims the object (etcd expired the lease and the claim with it): a higher
  // token; n1 learns it is n2's.
  Register("n2", 10);
  ClusterObjects* n2 = Objects("n2", 10);
  ASSERT_TRUE(RunUntil([&] { return n2->lease_valid(); }));
  absl::StatusOr<kv::ObjectRoute> taken;
  ASSERT_TRUE(RunUntil([&] {
    taken = Resolve(n2);
    return taken.ok() && taken->kind == kv::ObjectRoute::kHere;
  }));
  EXPECT_GT(taken->token, token);
  ASSERT_TRUE(RunUntil([&] { return n1->Where("t", "Counter", kId).kind == kv::ObjectRoute::kRemote; }));
  EXPECT_EQ(n1->Where("t", "Counter", kId).node, "n2");
  EXPECT_EQ(n1->NodeFence("t", "Counter", kId), 0u);
}

}  // namespace
}  // namespace atl::server
