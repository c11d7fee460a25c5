// Durable Objects on PostgreSQL in cluster mode (server/pg_do_storage.h, README.md "Durable
// Objects"): one node (two worker processes, so calls are forwarded between them) with etcd and
// PostgreSQL on 127.0.0.1 (tests/fleet_fixture.h). A counter incremented N times, each increment
// acknowledged, reads N after kill -9 of the node and the loss of its data_dir/do; increments
// with a kill -9 in the middle lose none that was acknowledged; nothing is acknowledged while
// PostgreSQL is frozen; a commit whose fencing token is below the one PostgreSQL holds is
// answered 500 and never acknowledged.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/etcd_fixture.h"
#include "tests/fleet_fixture.h"
#include "tests/postgres_fixture.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

// /inc increments and answers the new value, /get reads it; any other answer is an error.
constexpr const char* kScript =
    "export class Counter {"
    "  constructor(ctx, env) { this.ctx = ctx; }"
    "  async fetch(request) {"
    "    const url = new URL(request.url);"
    "    if (url.pathname === '/inc') {"
    "      const n = ((await this.ctx.storage.get('n')) ?? 0) + 1;"
    "      await this.ctx.storage.put('n', n);"
    "      return new Response(String(n));"
    "    }"
    "    return new Response(String((await this.ctx.storage.get('n')) ?? 0));"
    "  }"
    "}"
    "export default {"
    "  fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName('c')).fetch(request); }"
    "};";

class DoCluster : public ClusterSuite {
 protected:
  DoCluster() : ClusterSuite(/*postgres=*/true) {}
  void SetUp() override {
    ClusterSuite::SetUp();
    if (HasFatalFailure()) return;
    node_ = std::make_unique<FleetNode>("a", root_, ClusterTable());
    node_->Start();
    ASSERT_TRUE(node_->Ready()) << node_->server().log();
    port_ = node_->port();
    std::string body = "{\"script\":\"" + std::string(kScript) +
                       "\",\"routes\":[\"counter.test/*\"],\"durable_objects\":{\"COUNTER\":\"Counter\"}}";
    HttpResponse deployed = node_->Admin("PUT", "/tenants/counter", body);
    ASSERT_EQ(deployed.status, 200) << deployed.body;
  }
  void StopFleet() override { node_.reset(); }
  // On the port of the node as last started (the client thread calls it while the node dies).
  HttpResponse Call(const std::string& path) { return GetFrom(port_, "counter.test", path); }
  // The counter a request answered, -1 for anything else.
  int Value(const std::string& path) {
    HttpResponse r = Call(path);
    return r.status == 200 && !r.body.empty() && r.body.find_first_not_of("0123456789") == std::string::npos
               ? std::stoi(r.body)
               : -1;
  }
  void Restart(bool drop_local_copies) {
    node_->Kill9();
    if (drop_local_copies) {
      std::error_code ec;
      std::filesystem::remove_all(root_ + "/a/data/do", ec);
      ASSERT_FALSE(std::filesystem::exists(root_ + "/a/data/do"));
    }
    node_->Start();
    ASSERT_TRUE(node_->Ready()) << node_->server().log();
    port_ = node_->port();
  }

  std::unique_ptr<FleetNode> node_;
  std::atomic<int> port_{0};
};

TEST_F(DoCluster, CounterReadsNAfterKillDashNineAndTheLossOfItsLocalCopy) {
  constexpr int kIncrements = 40;
  for (int i = 1; i <= kIncrements; ++i) {
    HttpResponse r = Call("/inc");
    ASSERT_EQ(r.status, 200) << r.body << node_->server().log();
    ASSERT_EQ(r.body, std::to_string(i));
  }
  EXPECT_EQ(pg_.Psql("SELECT seq FROM atoll_do_objects WHERE tenant = 'counter'"), std::to_string(kIncrements) + "\n")
      << "one commit per acknowledged increment";
  Restart(/*drop_local_copies=*/true);
  EXPECT_EQ(Call("/get").body, std::to_string(kIncrements)) << node_->server().log();
  EXPECT_EQ(Call("/inc").body, std::to_string(kIncrements + 1));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/a/data/do")) << "the local copy is made again";
}

TEST_F(DoCluster, EveryAcknowledgedIncrementSurvivesAKillInTheMiddle) {
  for (bool drop : {false, true}) {
    std::atomic<bool> stop{false};
    std::atomic<int> acknowledged{0};
    int before = Value("/get");
    ASSERT_GE(before, 0);
    std::thread client([&] {
      while (!stop) {
        int n = Value("/inc");
        if (n < 0) break;  // the node is gone
        EXPECT_EQ(n, before + acknowledged + 1) << "increments are serial";
        acknowledged = n - before;
      }
    });
    // Increments running (each a PostgreSQL commit with fsync: ~10 ms quiet, far more under load),
    // then the kill: after 6 acknowledged ones and 0.5 s at least, bounded in time.
    std::this_thread::sleep_for(milliseconds(500));
    WaitFor([&] { return acknowledged.load() > 5; }, std::chrono::seconds(20));
    node_->Kill9();  // in the middle of a request, most likely
    stop = true;
    client.join();
    ASSERT_GT(acknowledged.load(), 5) << "increments were running";
    ASSERT_NO_FATAL_FAILURE(Restart(drop));
    int after = Value("/get");
    EXPECT_GE(after, before + acknowledged) << "an acknowledged increment was lost (drop=" << drop << ")";
    EXPECT_LE(after, before + acknowledged + 1) << "at most the one in flight when the node died";
  }
}

// The output gate: with PostgreSQL frozen (SIGSTOP, a partition) an increment is not answered
// 200 (it fails once the commit gets no answer within 5 s); after kill -9 and PostgreSQL back, the
// counter holds every acknowledged increment and at most that one more (its commit may have
// reached PostgreSQL's socket before the freeze).
TEST_F(DoCluster, NothingIsAcknowledgedWhilePostgresIsFrozen) {
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Value("/inc"), i) << node_->server().log();
  pg_.Pause(true);
  HttpResponse held = Call("/inc");
  pg_.Pause(false);
  EXPECT_EQ(held.status, 500) << held.body;
  node_->Kill9();
  node_->Start();
  ASSERT_TRUE(node_->Ready()) << node_->server().log();
  port_ = node_->port();
  int after = Value("/get");
  EXPECT_GE(after, 3);
  EXPECT_LE(after, 4);
}

TEST_F(DoCluster, ACommitWithAStaleFencingTokenIsA500AndNeverAcknowledged) {
  ASSERT_EQ(Call("/inc").body, "1") << node_->server().log();
  ASSERT_EQ(Call("/inc").body, "2");
  // Another owner committed with token 100 (what the etcd claim of a newer owner would give):
  // this node's token (1 without an owner claim) is stale from now on.
  ASSERT_EQ(pg_.Psql("UPDATE atoll_do_objects SET fence = 100").find("ERROR"), std::string::npos);
  HttpResponse refused = Call("/inc");
  EXPECT_EQ(refused.status, 500) << refused.body;
  EXPECT_EQ(pg_.Psql("SELECT seq FROM atoll_do_objects"), "2\n") << "nothing appended";
  // The object was evicted: its next event restores it from PostgreSQL (the refused increment
  // is not there), and its next write is refused again.
  EXPECT_EQ(Call("/get").body, "2");
  EXPECT_EQ(Call("/inc").status, 500);
  ASSERT_EQ(pg_.Psql("UPDATE atoll_do_objects SET fence = 1").find("ERROR"), std::string::npos);
  EXPECT_EQ(Call("/inc").body, "3") << node_->server().log();
}

// bindings/js/durable_objects_test.js (the storage API, transactions and their rollback, sql
// cursors, alarms' storage, blockConcurrencyWhile, RPC) with storage on PostgreSQL.
TEST(DoOnPostgres, JsDurableObjectTestsPass) {
  PostgresServer pg;
  ASSERT_TRUE(pg.Start()) << pg.log();
  TenantFixture fixture;
  TestServer server(fixture.WriteConfig("", "[cluster]\npostgres = \"" + pg.conninfo() + R"("
[[tenants]]
name = "default"
script = ")" + SourcePath("bindings/js/durable_objects_test.js") + R"("
routes = ["*/*"]
cpu_ms = 5000
[tenants.durable_objects]
DO = "TestObject"
DOLLAR = "$Dollar"
)"));
  HttpResponse r = Get(server.port(), "/");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server.log();
  JsTestCounts counts = ParseJsTestCounts(r.body);
  ASSERT_GE(counts.passed, 0) << r.body;
  EXPECT_EQ(counts.failed, 0) << r.body;
  EXPECT_GE(counts.passed, 9) << r.body;
  EXPECT_NE(pg.Psql("SELECT count(*) FROM atoll_do_objects"), "0\n") << "the objects are in PostgreSQL";
}

}  // namespace
}  // namespace atl::testing
