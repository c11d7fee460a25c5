// Cluster mode end to end (README.md "Running a fleet"): three atoll nodes on 127.0.0.1 (two
// worker processes each) and one real etcd (tests/etcd_fixture.h). Deploys go through one node's
// admin API; every check is a request to each node's listener or admin API. Bounded: ~1 minute.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>

#include "tests/etcd_fixture.h"
#include "tests/fleet_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

std::string Script(const std::string& answer) {
  return "export default { fetch() { return new Response('" + answer + "') } }";
}

std::string Body(const std::string& answer, const std::string& host = "hello.test") {
  return "{\"script\":\"" + Script(answer) + "\",\"routes\":[\"" + host + "/*\"]}";
}

// The number after "key": in a JSON body (-1 if absent).
int64_t JsonInt(const std::string& body, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stoll(m[1]);
}

// One node (tests/fleet_fixture.h: its config and data_dir survive a restart, new ports).
class Node : public FleetNode {
 public:
  Node(const std::string& name, const std::string& etcd_url, const std::string& root)
      : FleetNode(name, root, "etcd = \"" + etcd_url + "\"\n") {}
  // What tenant `host` answers here (on fresh connections: every worker; they must agree).
  std::string Answer(const std::string& host = "hello.test") const {
    return Agreed(host, [](const HttpResponse& r) { return r.status == 200 ? r.body : "HTTP " + std::to_string(r.status); });
  }
};

class ClusterTest : public ClusterSuite {
 protected:
  void SetUp() override {
    ClusterSuite::SetUp();
    if (HasFatalFailure()) return;
    for (const char* name : {"a", "b", "c"}) nodes_.push_back(std::make_unique<Node>(name, etcd_.url(), root_));
    for (auto& node : nodes_) node->Start();
    for (auto& node : nodes_) ASSERT_TRUE(node->Ready()) << node->server().log();
  }
  void StopFleet() override {
    for (auto& node : nodes_) node->Stop();
  }
  Node& node(int i) { return *nodes_[i]; }

  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(ClusterTest, DeployIsAnsweredOnceEveryNodeServesIt) {
  for (int round = 1; round <= 3; ++round) {
    std::string answer = "v" + std::to_string(round);
    HttpResponse deployed = node(0).Admin("PUT", "/tenants/hello", Body(answer));
    ASSERT_EQ(deployed.status, 200) << deployed.body;
    EXPECT_NE(deployed.body.find("\"nodes\":[\"a\",\"b\",\"c\"]"), std::string::npos) << deployed.body;
    // No waiting: the answer came only once A, B and C (each of their workers) serve it.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).Answer(), answer) << "node " << i << " round " << round;
    int64_t revision = JsonInt(deployed.body, "revision");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(JsonInt(node(i).Admin("GET", "/tenants/hello").body, "revision"), revision);
  }
  HttpResponse cluster = node(2).Admin("GET", "/cluster");
  EXPECT_EQ(cluster.status, 200);
  EXPECT_NE(cluster.body.find("\"name\":\"b\""), std::string::npos) << cluster.body;
  // A delete through another node reaches every node the same way.
  HttpResponse deleted = node(1).Admin("DELETE", "/tenants/hello");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).Answer(), "HTTP 404") << i;
}

TEST_F(ClusterTest, StaleDeployGets409) {
  HttpResponse created = node(0).Admin("PUT", "/tenants/hello", Body("one"), "0");  // 0: must not exist yet
  ASSERT_EQ(created.status, 200) << created.body;
  int64_t first = JsonInt(created.body, "revision");
  HttpResponse again = node(1).Admin("PUT", "/tenants/hello", Body("two"), "0");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(JsonInt(again.body, "revision"), first);
  HttpResponse second = node(1).Admin("PUT", "/tenants/hello", Body("two"), std::to_string(first));
  ASSERT_EQ(second.status, 200) << second.body;
  // A client that read `first` and deploys on top of it lost the race to `second`.
  HttpResponse stale = node(2).Admin("PUT", "/tenants/hello", Body("three"), "\"" + std::to_string(first) + "\"");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(JsonInt(stale.body, "revision"), JsonInt(second.body, "revision"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).Answer(), "two");
  EXPECT_EQ(node(0).Admin("PUT", "/tenants/hello", Body("x"), "yesterday").status, 400);
  // Checked before anything is written, and a bundle over etcd's limit is refused clearly.
  EXPECT_EQ(node(0).Admin("PUT", "/tenants/bad", "{\"script\":\"x\",\"routes\":[\"no route\"]}").status, 400);
  HttpResponse broken = node(0).Admin("PUT", "/tenants/hello", "{\"script\":\"export default {\",\"routes\":[\"hello.test/*\"]}");
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_NE(broken.body.find("SyntaxError"), std::string::npos) << broken.body;
  EXPECT_EQ(JsonInt(node(2).Admin("GET", "/tenants/hello").body, "revision"), JsonInt(second.body, "revision")) << "nothing written";
  std::string big = "{\"script\":\"//" + std::string(1600 * 1024, 'x') + "\\n" + Script("big") + "\",\"routes\":[\"big.test/*\"]}";
  HttpResponse too_big = node(0).Admin("PUT", "/tenants/big", big);
  EXPECT_EQ(too_big.status, 413) << too_big.body;
  EXPECT_NE(too_big.body.find("bundle_too_large"), std::string::npos) << too_big.body;
  EXPECT_EQ(node(0).Answer("big.test"), "HTTP 404");
}

TEST_F(ClusterTest, RestartedNodeMissesNothingDeployedWhileDown) {
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/hello", Body("before")).status, 200);
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/gone", Body("gone", "gone.test")).status, 200);
  EXPECT_EQ(node(2).Answer("gone.test"), "gone");
  node(2).Stop();  // left nodes/ at once (its lease revoked): deploys do not wait for it
  HttpResponse changed = node(0).Admin("PUT", "/tenants/hello", Body("after"));
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_NE(changed.body.find("\"nodes\":[\"a\",\"b\"]"), std::string::npos) << changed.body;
  ASSERT_EQ(node(1).Admin("PUT", "/tenants/added", Body("added", "added.test")).status, 200);
  ASSERT_EQ(node(1).Admin("DELETE", "/tenants/gone").status, 200);
  node(2).Start();
  ASSERT_TRUE(node(2).Ready()) << node(2).server().log();
  EXPECT_EQ(node(2).Answer(), "after");
  EXPECT_EQ(node(2).Answer("added.test"), "added");
  EXPECT_EQ(node(2).Answer("gone.test"), "HTTP 404");
  EXPECT_EQ(JsonInt(node(2).Admin("GET", "/tenants/hello").body, "revision"), JsonInt(changed.body, "revision"));
}

TEST_F(ClusterTest, FiftyDeploysInterleavedWithRestartsConverge) {
  int answered = 0;
  int64_t last = DeployFiftyWithRestarts({&node(0), &node(1), &node(2)}, "churn",
                                         [](int i) { return Body("v" + std::to_string(i), "churn.test"); }, &answered);
  ASSERT_GT(last, 0);
  std::printf("50 deploys: %d answered 200, %d answered 202\n", answered, 50 - answered);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(node(i).Ready()) << node(i).server().log();
    EXPECT_TRUE(WaitFor([&] { return JsonInt(node(i).Admin("GET", "/tenants/churn").body, "revision") == last; }, std::chrono::seconds(10)))
        << "node " << i << ": " << node(i).Admin("GET", "/tenants/churn").body;
    EXPECT_EQ(node(i).Answer("churn.test"), "v49") << i;
  }
}

TEST_F(ClusterTest, ANodeBehindGets202ThenCatchesUp) {
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/hello", Body("one")).status, 200);
  pid_t worker = node(2).server().worker_pid(1);  // C's other worker: C stays registered, cannot finish
  ASSERT_GT(worker, 0);
  kill(worker, SIGSTOP);
  auto start = std::chrono::steady_clock::now();
  HttpResponse late = node(0).Admin("PUT", "/tenants/hello", Body("two"));
  auto waited = std::chrono::steady_clock::now() - start;
  kill(worker, SIGCONT);
  EXPECT_EQ(late.status, 202) << late.body;
  EXPECT_NE(late.body.find("\"behind\":[\"c\"]"), std::string::npos) << late.body;
  EXPECT_GE(waited, std::chrono::milliseconds(7500)) << "deploy_timeout_ms = 8000";
  // Committed all the same: C converges once its worker runs again.
  int64_t revision = JsonInt(late.body, "revision");
  EXPECT_TRUE(WaitFor([&] { return node(2).Answer() == "two"; }, std::chrono::seconds(40)));
  EXPECT_EQ(JsonInt(node(2).Admin("GET", "/tenants/hello").body, "revision"), revision);
  HttpResponse next = node(0).Admin("PUT", "/tenants/hello", Body("three"));
  EXPECT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(node(2).Answer(), "three");
}

TEST_F(ClusterTest, ASyncingWorkerKilledIsReplacedAndCatchesUp) {
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/hello", Body("one")).status, 200);
  pid_t syncer = node(2).server().worker_pid(0);
  ASSERT_GT(syncer, 0);
  kill(syncer, SIGKILL);  // the supervisor starts another worker 0, which lists and registers again
  HttpResponse changed = node(0).Admin("PUT", "/tenants/hello", Body("two"));
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_NE(changed.body.find("\"nodes\":[\"a\",\"b\",\"c\"]"), std::string::npos) << changed.body;
  EXPECT_NE(node(2).server().worker_pid(0), syncer);
  EXPECT_EQ(node(2).Answer(), "two");
}

TEST_F(ClusterTest, AWatchResumedPastACompactionListsAgain) {
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/hello", Body("one")).status, 200);
  ASSERT_EQ(node(0).Admin("PUT", "/tenants/gone", Body("gone", "gone.test")).status, 200);
  pid_t syncer = node(2).server().worker_pid(0);  // worker 0 follows etcd for node C
  ASSERT_GT(syncer, 0);
  kill(syncer, SIGSTOP);
  // etcd restarts (C's watch connection is cut while C cannot notice), then moves on and compacts
  // away every revision C would resume from.
  etcd_.Stop();
  ASSERT_TRUE(etcd_.Start()) << etcd_.log();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(node(i).Ready()) << i;
  HttpResponse changed = node(0).Admin("PUT", "/tenants/hello", Body("two"));  // answered once C's lease expired
  ASSERT_EQ(changed.status, 200) << changed.body;
  ASSERT_EQ(node(1).Admin("DELETE", "/tenants/gone").status, 200);
  int64_t now = JsonInt(node(0).Admin("GET", "/cluster").body, "revision");
  ASSERT_FALSE(etcd_.Post("/v3/kv/compaction", "{\"revision\":\"" + std::to_string(now) + "\"}").empty());
  kill(syncer, SIGCONT);
  EXPECT_TRUE(node(2).server().WaitForLog("compacted; listing again", std::chrono::seconds(10))) << node(2).server().log();
  ASSERT_TRUE(node(2).Ready());
  EXPECT_EQ(node(2).server().worker_pid(0), syncer) << "the same worker 0 caught up, no restart";
  EXPECT_EQ(node(2).Answer(), "two");
  EXPECT_EQ(node(2).Answer("gone.test"), "HTTP 404");
  // And it registered again (its lease had expired): deploys wait for it as before.
  HttpResponse again = node(0).Admin("PUT", "/tenants/hello", Body("three"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"nodes\":[\"a\",\"b\",\"c\"]"), std::string::npos) << again.body;
  EXPECT_EQ(node(2).Answer(), "three");
}

TEST_F(ClusterTest, ProbesAnswerWithoutTheTokenAndReadyzFollowsEtcd) {
  EXPECT_EQ(AdminRequest(node(0).admin_port(), "", "GET", "/healthz").status, 200);
  HttpResponse ready = AdminRequest(node(0).admin_port(), "", "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("\"cluster\":true"), std::string::npos) << ready.body;
  EXPECT_EQ(AdminRequest(node(0).admin_port(), "", "GET", "/tenants").status, 401);
  etcd_.Stop();
  // Alive, but not synced with the control plane: taken out of rotation, not restarted.
  EXPECT_TRUE(WaitFor([&] { return AdminRequest(node(1).admin_port(), "", "GET", "/readyz").status == 503; }, std::chrono::seconds(10)));
  EXPECT_EQ(AdminRequest(node(1).admin_port(), "", "GET", "/healthz").status, 200);
  EXPECT_EQ(node(1).Admin("PUT", "/tenants/hello", Body("x")).status, 503);
  ASSERT_TRUE(etcd_.Start()) << etcd_.log();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(node(i).Ready()) << i;
  HttpResponse deployed = node(1).Admin("PUT", "/tenants/hello", Body("back"));
  EXPECT_EQ(deployed.status, 200) << deployed.body;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node(i).Answer(), "back") << i;
}

TEST(ClusterConfigTest, RefusedAtStartWithTheReason) {
  setenv("ATOLL_ADMIN_TOKEN", "cluster-test-token", 1);
  std::string output;
  EXPECT_EQ(RunAtoll("serve --cluster http://127.0.0.1:1 --node-name a", &output), 1);
  EXPECT_NE(output.find("cluster mode needs the admin API"), std::string::npos) << output;
  EXPECT_EQ(RunAtoll("serve --cluster http://127.0.0.1:1 --node-name A_b --admin-listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("cluster.node_name"), std::string::npos) << output;
  EXPECT_EQ(RunAtoll("serve --cluster https://127.0.0.1:1 --admin-listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("expected http://HOST:PORT"), std::string::npos) << output;
  unsetenv("ATOLL_ADMIN_TOKEN");
}

}  // namespace
}  // namespace atl::testing
