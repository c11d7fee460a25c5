// `atoll control` end to end (README.md "Running a fleet" -> "Placement controller"): a real etcd
// (tests/etcd_fixture.h), real `atoll control` processes and three real nodes (`atoll serve` in
// cluster mode, one worker each, lease TTL 3 s). Every check reads etcd. Bounded: ~1 minute.
// Also, in-process against the same etcd, the fencing of a deposed leader's writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "base/json_reader.h"
#include "bindings/base64.h"
#include "config/cluster_layout.h"
#include "server/etcd_client.h"
#include "server/leader_election.h"
#include "tests/etcd_loop_test.h"
#include "tests/fleet_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

class ControlPlaneTest : public ClusterSuite {
 protected:
  void StopFleet() override {
    controllers_.clear();
    for (auto& [name, node] : nodes_) node->Stop();
  }
  void StartNodes() {
    for (const char* name : {"a", "b", "c"}) StartNode(name, false);
    for (auto& [name, node] : nodes_) {
      ASSERT_TRUE(WaitFor([&] { return AdminRequest(AdminPort(*node), "", "GET", "/readyz").status == 200; }, std::chrono::seconds(15)))
          << node->log();
    }
  }
  // Node `name` (again: the same config and data_dir).
  void StartNode(const std::string& name, bool wait) {
    std::string dir = root_ + "/" + name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/atoll.toml") << "[server]\nadmin_listen = \"127.0.0.1:0\"\nworkers = 1\ndata_dir = \"" << dir
                                       << "/data\"\n[cluster]\netcd = \"" << etcd_.url() << "\"\nnode_name = \"" << name
                                       << "\"\nlease_ttl_s = 3\ndeploy_timeout_ms = 8000\n";
    nodes_[name] = std::make_unique<TestServer>(dir + "/atoll.toml");
    if (wait) {
      TestServer& node = *nodes_[name];
      ASSERT_TRUE(WaitFor([&] { return AdminRequest(AdminPort(node), "", "GET", "/readyz").status == 200; }, std::chrono::seconds(15)))
          << node.log();
    }
  }
  // kill -9 of every process of node `name` (the worker is stopped first, so that it cannot
  // revoke its lease when its supervisor disappears); its lease then expires after the TTL.
  void KillNode(const std::string& name) {
    TestServer& dead = *nodes_[name];
    pid_t worker = dead.worker_pid(0);
    ASSERT_GT(worker, 0);
    kill(worker, SIGSTOP);
    kill(dead.pid(), SIGKILL);
    kill(worker, SIGKILL);
    dead.Stop();  // reaps it
    nodes_.erase(name);
  }
  Controller& StartController(const std::string& name, const std::vector<std::string>& extra = {}) {
    controllers_.push_back(std::make_unique<Controller>(name, etcd_.url(), root_, extra));
    return *controllers_.back();
  }
  void Deploy(const std::string& tenant) {
    std::string body = "{\"script\":\"export default { fetch() { return new Response('" + tenant + "') } }\",\"routes\":[\"" +
                       tenant + ".test/*\"]}";
    HttpResponse r = AdminRequest(AdminPort(*nodes_["a"]), kToken, "PUT", "/tenants/" + tenant, body);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // Every tenant of `tenants` placed on min(2, live) distinct nodes, all of them in `live`.
  bool PlacedOn(const std::vector<std::string>& tenants, const std::set<std::string>& live) {
    auto placements = Placements(etcd_);
    if (placements.size() != tenants.size()) return false;
    for (const std::string& t : tenants) {
      auto it = placements.find(t);
      if (it == placements.end()) return false;
      std::set<std::string> distinct(it->second.begin(), it->second.end());
      if (distinct.size() != it->second.size() || distinct.size() != std::min<size_t>(2, live.size())) return false;
      for (const std::string& n : distinct) {
        if (!live.contains(n)) return false;
      }
    }
    return true;
  }

  std::map<std::string, std::unique_ptr<TestServer>> nodes_;
  std::vector<std::unique_ptr<Controller>> controllers_;
};

TEST_F(ControlPlaneTest, OneLeaderAndFailoverAfterKill9) {
  Controller& first = StartController("ctl-1");
  Controller& second = StartController("ctl-2");
  ASSERT_TRUE(WaitFor([&] { return !LeaderName(etcd_).empty(); }, std::chrono::seconds(10))) << first.log() << second.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::string leader = LeaderName(etcd_);
  Controller& old_leader = leader == "ctl-1" ? first : second;
  Controller& other = leader == "ctl-1" ? second : first;
  // Exactly one says it leads.
  EXPECT_TRUE(WaitFor([&] { return old_leader.log().find("\"msg\":\"control: leader\"") != std::string::npos; }, std::chrono::seconds(2)))
      << old_leader.log();
  EXPECT_EQ(other.log().find("\"msg\":\"control: leader\""), std::string::npos) << other.log();

  Clock::time_point killed = Clock::now();
  old_leader.Kill9();
  ASSERT_TRUE(WaitFor([&] { return LeaderName(etcd_) == other.name(); }, std::chrono::seconds(8))) << other.log();
  double failover = SecondsSince(killed);
  std::printf("[ measured ] leader failover after kill -9 (lease TTL 3 s): %.2f s\n", failover);
  EXPECT_LT(failover, 5.0);
  // (its log line follows the write of the key)
  EXPECT_TRUE(WaitFor([&] { return other.log().find("\"msg\":\"control: leader\"") != std::string::npos; }, std::chrono::seconds(2)))
      << other.log();

  // SIGTERM resigns: the lease is revoked and the key goes at once.
  Clock::time_point stopped = Clock::now();
  EXPECT_EQ(other.Stop(), 0);
  EXPECT_EQ(LeaderName(etcd_), "");
  EXPECT_LT(SecondsSince(stopped), 2.0);
}

TEST_F(ControlPlaneTest, EveryTenantIsPlacedAndReplacedWhenANodeIsKilled) {
  StartNodes();
  std::vector<std::string> tenants = {"t1", "t2", "t3", "t4", "t5"};
  for (const std::string& t : tenants) Deploy(t);
  StartController("ctl-1");
  StartController("ctl-2");
  ASSERT_TRUE(WaitFor([&] { return PlacedOn(tenants, {"a", "b", "c"}); }, std::chrono::seconds(10)));
  // The admin API shows them, with the leader.
  HttpResponse cluster = AdminRequest(AdminPort(*nodes_["b"]), kToken, "GET", "/cluster");
  ASSERT_EQ(cluster.status, 200);
  std::string leader = LeaderName(etcd_);
  EXPECT_NE(cluster.body.find("\"leader\":\"" + leader + "\""), std::string::npos) << cluster.body;
  std::string t1 = "\"t1\":[\"" + Placements(etcd_)["t1"][0] + "\",\"" + Placements(etcd_)["t1"][1] + "\"]";
  EXPECT_NE(cluster.body.find("\"placements\":{"), std::string::npos) << cluster.body;
  EXPECT_NE(cluster.body.find(t1), std::string::npos) << cluster.body;
  // A tenant added later is placed; a deleted one loses its key.
  Deploy("t6");
  tenants.push_back("t6");
  EXPECT_TRUE(WaitFor([&] { return PlacedOn(tenants, {"a", "b", "c"}); }, std::chrono::seconds(5)));
  ASSERT_EQ(AdminRequest(AdminPort(*nodes_["a"]), kToken, "DELETE", "/tenants/t6").status, 200);
  tenants.pop_back();
  EXPECT_TRUE(WaitFor([&] { return PlacedOn(tenants, {"a", "b", "c"}); }, std::chrono::seconds(5))) << Placements(etcd_).size();

  // Pick the node with the most replicas and kill every process of it with -9 (the worker is
  // stopped first, so that it cannot revoke its lease when its supervisor disappears).
  std::map<std::string, int> count;
  for (const auto& [t, nodes] : Placements(etcd_)) {
    for (const std::string& n : nodes) ++count[n];
  }
  std::string victim = "a";
  for (const auto& [n, c] : count) {
    if (c > count[victim]) victim = n;
  }
  // Passes from the load reports (every second) move nothing while nothing changes.
  auto before = Placements(etcd_);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(Placements(etcd_), before);
  Clock::time_point killed = Clock::now();
  KillNode(victim);
  std::set<std::string> live = {"a", "b", "c"};
  live.erase(victim);
  ASSERT_TRUE(WaitFor([&] { return PlacedOn(tenants, live); }, std::chrono::seconds(8))) << "victim " << victim;
  double replaced = SecondsSince(killed);
  std::printf("[ measured ] placements free of node %s (%d replicas) after its kill -9 (lease TTL 3 s): %.2f s\n",
              victim.c_str(), count[victim], replaced);
  EXPECT_LT(replaced, 3.0 + 2.0);
  // Only the dead node's replicas moved: a surviving replica stays where it was.
  for (const auto& [t, nodes] : Placements(etcd_)) {
    for (const std::string& n : before[t]) {
      if (n != victim) {
        EXPECT_NE(std::find(nodes.begin(), nodes.end(), n), nodes.end()) << t << " lost its replica on " << n;
      }
    }
  }

  // A second node dies: k is capped at the one live node. Then the first comes back: a node
  // joining gets the second replicas.
  std::string last = *live.begin(), second = *live.rbegin();
  KillNode(second);
  ASSERT_TRUE(WaitFor([&] { return PlacedOn(tenants, {last}); }, std::chrono::seconds(8)));
  StartNode(victim, true);
  Clock::time_point joined = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return PlacedOn(tenants, {last, victim}); }, std::chrono::seconds(5)));
  std::printf("[ measured ] second replicas on the rejoined node %s: %.2f s after it was ready\n", victim.c_str(), SecondsSince(joined));
}

TEST_F(ControlPlaneTest, LoadMovesAReplicaOffAnOverloadedNode) {
  StartNodes();
  Deploy("hot1");
  Deploy("hot2");
  // Nodes serve 25 req/s each whatever their cores (20 usable with the 0.2 headroom), so that
  // two tenants at ~14 req/s cannot share one.
  auto self = ReadEtcdPrefix(etcd_, "/atoll/nodes/a");
  ASSERT_EQ(self.size(), 1u);
  absl::StatusOr<config::NodeRecord> node = config::DecodeNodeRecord(self.begin()->second);
  ASSERT_TRUE(node.ok() && node->cores > 0);
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.6f", 25.0 / node->cores);
  StartController("ctl-1", {"--replicas", "1", "--rate-per-core", rate});
  std::map<std::string, std::vector<std::string>> placed;
  ASSERT_TRUE(WaitFor([&] {
    placed = Placements(etcd_);
    return placed.size() == 2 && placed["hot1"].size() == 1 && placed["hot2"].size() == 1;
  }, std::chrono::seconds(10)));
  // Idle, both fit on one node: best fit packs them there.
  ASSERT_EQ(placed["hot1"], placed["hot2"]) << "the premise: two idle tenants share a node";
  std::string shared = placed["hot1"][0];

  // ~14 req/s each for up to 12 s, until the controller has moved one of them.
  Clock::time_point start = Clock::now();
  bool moved = false;
  while (!moved && SecondsSince(start) < 12) {
    EXPECT_EQ(GetFrom(nodes_["a"]->port(), "hot1.test", "/").status, 200);
    EXPECT_EQ(GetFrom(nodes_["a"]->port(), "hot2.test", "/").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(70));
    placed = Placements(etcd_);
    moved = placed["hot1"] != placed["hot2"];
  }
  ASSERT_TRUE(moved) << "both still on " << shared;
  std::printf("[ measured ] a replica moved off the overloaded node %.2f s after the traffic started\n", SecondsSince(start));
  // Only one moved; the other stayed where it was.
  EXPECT_TRUE(placed["hot1"][0] == shared || placed["hot2"][0] == shared);
  EXPECT_EQ(placed["hot1"].size(), 1u);
  EXPECT_EQ(placed["hot2"].size(), 1u);
}

TEST_F(ControlPlaneTest, NodesReportMeasuredLoadPerTenant) {
  StartNodes();
  Deploy("busy");
  Deploy("idle");
  for (int i = 0; i < 60; ++i) ASSERT_EQ(GetFrom(nodes_["b"]->port(), "busy.test", "/").status, 200);
  // Within two report intervals, load/b carries the tenant's heap and a request rate.
  config::LoadRecord load;
  ASSERT_TRUE(WaitFor([&] {
    auto keys = ReadEtcdPrefix(etcd_, "/atoll/load/b");
    if (keys.empty()) return false;
    absl::StatusOr<config::LoadRecord> record = config::DecodeLoadRecord(keys.begin()->second);
    if (!record.ok()) return false;
    load = *record;
    for (const auto& [name, t] : load.tenants) {
      if (name == "busy" && t.memory_kb > 0 && t.rps > 0) return true;
    }
    return false;
  }, std::chrono::seconds(8))) << ReadEtcdPrefix(etcd_, "/atoll/load/").size();
  EXPECT_GT(load.cores, 0u);
  EXPECT_GT(load.memory_mb, 0u);
  for (const auto& [name, t] : load.tenants) {
    if (name == "idle") {  // its isolate, loaded by the deploy, is measured
      EXPECT_EQ(t.rps, 0) << "no request reached it";
    }
    if (name == "busy") std::printf("[ measured ] load/b: busy memory_kb=%llu rps=%.1f\n", static_cast<unsigned long long>(t.memory_kb), t.rps);
  }
  // The report lives under the node's lease: a node that stops takes it with it.
  nodes_["b"]->Stop();
  nodes_.erase("b");
  EXPECT_TRUE(WaitFor([&] { return ReadEtcdPrefix(etcd_, "/atoll/load/b").empty(); }, std::chrono::seconds(5)));
}

// In-process: two candidates on two loops, so that the first does not learn it was deposed
// before it tries to write.
class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start()) << etcd_.log();
    for (uv_loop_t* loop : {&loop_a_, &loop_b_}) uv_loop_init(loop);
    etcd_a_ = std::make_unique<server::EtcdClient>(&loop_a_, *server::EtcdClient::ParseUrl(etcd_.url()));
    etcd_b_ = std::make_unique<server::EtcdClient>(&loop_b_, *server::EtcdClient::ParseUrl(etcd_.url()));
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    etcd_a_.reset();
    etcd_b_.reset();
    for (uv_loop_t* loop : {&loop_a_, &loop_b_}) {
      uv_run(loop, UV_RUN_DEFAULT);
      uv_loop_close(loop);
    }
  }
  static bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done) { return RunLoopUntil(loop, done); }
  absl::StatusOr<bool> Write(server::LeaderElection* who, uv_loop_t* loop, const std::string& value) {
    std::optional<absl::StatusOr<bool>> result;
    who->FencedTxn({{false, "/atoll/placements/t", value, 0}}, [&](absl::StatusOr<bool> r) { result = r; });
    if (!RunUntil(loop, [&] { return result.has_value(); })) return absl::DeadlineExceededError("no answer");
    return *result;
  }

  EtcdServer etcd_;
  uv_loop_t loop_a_, loop_b_;
  std::unique_ptr<server::EtcdClient> etcd_a_, etcd_b_;
  std::unique_ptr<server::LeaderElection> a_, b_;
};

TEST_F(LeaderElectionTest, ADeposedLeaderCannotWrite) {
  config::ClusterKeys keys("/atoll/");
  a_ = std::make_unique<server::LeaderElection>(&loop_a_, etcd_a_.get(), server::LeaderElection::Options{keys.ControlLeader(), "a", 3},
                                                [](bool) {});
  a_->Start();
  ASSERT_TRUE(RunUntil(&loop_a_, [&] { return a_->leader(); }));
  b_ = std::make_unique<server::LeaderElection>(&loop_b_, etcd_b_.get(), server::LeaderElection::Options{keys.ControlLeader(), "b", 3},
                                                [](bool) {});
  b_->Start();
  // b campaigns, loses and watches the key.
  ASSERT_TRUE(RunUntil(&loop_b_, [&] { return b_->lease() != 0; }));
  auto settle = Clock::now() + std::chrono::milliseconds(300);
  RunUntil(&loop_b_, [&] { return Clock::now() > settle; });
  EXPECT_FALSE(b_->leader());
  absl::StatusOr<bool> b_first = Write(b_.get(), &loop_b_, "from b while a leads");
  ASSERT_TRUE(b_first.ok()) << b_first.status();
  EXPECT_FALSE(*b_first);
  absl::StatusOr<bool> a_first = Write(a_.get(), &loop_a_, "from a");
  ASSERT_TRUE(a_first.ok()) << a_first.status();
  EXPECT_TRUE(*a_first);

  // a's lease is revoked behind its back (a's loop does not run meanwhile): b takes over.
  etcd_.Post("/v3/lease/revoke", "{\"ID\":\"" + std::to_string(a_->lease()) + "\"}");
  ASSERT_TRUE(RunUntil(&loop_b_, [&] { return b_->leader(); }));
  ASSERT_TRUE(a_->leader()) << "a must not know yet: this checks the transaction, not a's watch";
  absl::StatusOr<bool> stale = Write(a_.get(), &loop_a_, "from the deposed a");
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(*stale);
  EXPECT_FALSE(a_->leader());
  EXPECT_EQ(ReadEtcdPrefix(etcd_, "/atoll/placements/t").begin()->second, "from a");
  absl::StatusOr<bool> b_now = Write(b_.get(), &loop_b_, "from b");
  ASSERT_TRUE(b_now.ok()) << b_now.status();
  EXPECT_TRUE(*b_now);
  EXPECT_EQ(ReadEtcdPrefix(etcd_, "/atoll/placements/t").begin()->second, "from b");
}

}  // namespace
}  // namespace atl::testing
