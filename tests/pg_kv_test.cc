// Shared KV on PostgreSQL (cluster mode, server/pg_kv.h) through the real binary: a real
// PostgreSQL 15 (tests/postgres_fixture.h) and two `atoll serve` processes ("nodes", each with its
// own data_dir) naming it in [cluster] postgres, all on 127.0.0.1. A put acknowledged on node A is
// read on node B once B's cache TTL allows; kill -9 of node A right after acknowledged puts loses
// none; bindings/js/kv_test.js passes on PostgreSQL; with PostgreSQL down a KV call rejects with
// an error that names it, the worker lives on, and KV works again once PostgreSQL is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/postgres_fixture.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// /put?k=KEY&v=VALUE[&ttl=EXPIRATION_TTL], /get?k=KEY[&ttl=CACHE_TTL] (404 when absent), /delete?k=KEY,
// /list?p=PREFIX; a KV error answers 503 with its message.
constexpr const char* kHandler = R"(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("k");
    try {
      switch (url.pathname) {
        case "/put": {
          const ttl = url.searchParams.get("ttl");
          await env.STORE.put(key, url.searchParams.get("v"), ttl ? { expirationTtl: Number(ttl) } : {});
          return new Response("ok");
        }
        case "/get": {
          const ttl = url.searchParams.get("ttl");
          const value = await env.STORE.get(key, ttl === null ? {} : { cacheTtl: Number(ttl) });
          return new Response(value, { status: value === null ? 404 : 200 });
        }
        case "/delete":
          await env.STORE.delete(key);
          return new Response("ok");
        case "/list": {
          const { keys } = await env.STORE.list({ prefix: url.searchParams.get("p") ?? "" });
          return new Response(keys.map((k) => k.name).join("\n"));
        }
        case "/ping":
          return new Response("pong");
      }
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`, { status: 503 });
    }
    return new Response("?", { status: 400 });
  },
};
)";

// One node: its own folder (NAME/ of the test's) and data_dir, KV on `pg`.
struct Node {
  std::unique_ptr<TestServer> server;
  Node(const TenantFixture& fixture, const std::string& name, const PostgresServer& pg) {
    fixture.Write(name + "/kv.js", kHandler);
    std::string config = fixture.Write(name + "/atoll.toml", "[server]\ndata_dir = \"data\"\n[cluster]\npostgres = \"" +
                                                                 pg.conninfo() + R"("
[[tenants]]
name = "a"
script = "kv.js"
routes = ["*/*"]
[tenants.kv]
STORE = "shared"
)");
    server = std::make_unique<TestServer>(config);
  }
  HttpResponse Call(const std::string& path) const { return Get(server->port(), path); }
};

class PgKv : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pg_.Start()) << pg_.log(); }
  PostgresServer pg_;
  TenantFixture fixture_;
};

TEST_F(PgKv, PutOnNodeAIsReadOnNodeBOnceItsCacheTtlAllows) {
  Node a(fixture_, "a", pg_), b(fixture_, "b", pg_);
  // B reads the key first: its miss is cached for cacheTtl (3 s).
  auto first_read = steady_clock::now();
  ASSERT_EQ(b.Call("/get?k=greeting&ttl=3").status, 404) << b.Call("/get?k=greeting&ttl=3").body << b.server->log();
  ASSERT_EQ(a.Call("/put?k=greeting&v=hello").body, "ok") << a.server->log();
  EXPECT_EQ(a.Call("/get?k=greeting&ttl=3").body, "hello") << "A dropped its own cache entry on the write";
  HttpResponse stale = b.Call("/get?k=greeting&ttl=3");
  if (steady_clock::now() - first_read < milliseconds(2500)) {
    EXPECT_EQ(stale.status, 404) << "B answers from its cache within cacheTtl (eventually consistent, as Workers KV)";
  }
  // B's cached miss expires 3 s after its read: from then on B reads A's write.
  std::string seen;
  WaitFor([&] { return (seen = b.Call("/get?k=greeting&ttl=3").body) == "hello"; }, milliseconds(6000));
  EXPECT_EQ(seen, "hello");
  EXPECT_GE(steady_clock::now() - first_read, milliseconds(2900)) << "not before its cacheTtl";
  // cacheTtl 0 reads through the cache.
  ASSERT_EQ(b.Call("/get?k=other&ttl=60").status, 404);
  ASSERT_EQ(a.Call("/put?k=other&v=now").body, "ok");
  EXPECT_EQ(b.Call("/get?k=other&ttl=60").status, 404) << "cached";
  EXPECT_EQ(b.Call("/get?k=other&ttl=0").body, "now");
  EXPECT_EQ(pg_.Psql("SELECT count(*) FROM atoll_kv WHERE namespace = 'shared'"), "2\n");
  // Deletes and lists go to PostgreSQL too.
  ASSERT_EQ(a.Call("/put?k=greeting2&v=x").body, "ok");
  EXPECT_EQ(b.Call("/list?p=greet").body, "greeting\ngreeting2");
  ASSERT_EQ(b.Call("/delete?k=greeting").body, "ok");
  EXPECT_EQ(a.Call("/get?k=greeting&ttl=0").status, 404);
  EXPECT_EQ(a.server->Stop(), 0) << "a clean stop with the connection open";
  EXPECT_EQ(b.server->Stop(), 0);
}

TEST_F(PgKv, KillDashNineOfNodeARightAfterAcknowledgedPutsLosesNone) {
  Node a(fixture_, "a", pg_), b(fixture_, "b", pg_);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(a.Call("/put?k=key" + std::to_string(i) + "&v=value" + std::to_string(i)).body, "ok") << a.server->log();
  }
  // The whole node dies at once: the supervisor and its worker.
  pid_t worker = a.server->worker_pid();
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(a.server->pid(), SIGKILL), 0);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  for (int i = 0; i < 50; ++i) {
    HttpResponse r = b.Call("/get?k=key" + std::to_string(i) + "&ttl=0");
    EXPECT_EQ(r.status, 200) << i << " " << r.body;
    EXPECT_EQ(r.body, "value" + std::to_string(i));
  }
}

TEST_F(PgKv, PostgresDownRejectsWithAClearErrorAndTheWorkerSurvives) {
  Node a(fixture_, "a", pg_);
  ASSERT_EQ(a.Call("/put?k=k&v=before").body, "ok") << a.server->log();
  pid_t worker = a.server->worker_pid();
  pg_.Stop();
  HttpResponse down = a.Call("/get?k=k&ttl=0");
  EXPECT_EQ(down.status, 503);
  EXPECT_TRUE(down.body.starts_with("Error: KV get() failed: PostgreSQL unavailable")) << down.body;
  HttpResponse put = a.Call("/put?k=k&v=during");
  EXPECT_EQ(put.status, 503);
  EXPECT_NE(put.body.find("PostgreSQL unavailable"), std::string::npos) << put.body;
  EXPECT_EQ(a.Call("/ping").body, "pong");
  EXPECT_EQ(a.server->worker_pid(), worker) << "the same worker process answers";
  // PostgreSQL back (same port): the next call connects again.
  ASSERT_TRUE(pg_.Start()) << pg_.log();
  EXPECT_EQ(a.Call("/get?k=k&ttl=0").body, "before");
  EXPECT_EQ(a.Call("/put?k=k&v=after").body, "ok");
  EXPECT_EQ(a.Call("/get?k=k&ttl=0").body, "after");
}

// PostgreSQL that answers nothing (stopped with SIGSTOP, as behind a partition): the call
// rejects after the client's 5 s timeout instead of hanging, and KV works again once it answers.
TEST_F(PgKv, PostgresThatHangsRejectsAfterTheTimeout) {
  Node a(fixture_, "a", pg_);
  ASSERT_EQ(a.Call("/put?k=k&v=before").body, "ok") << a.server->log();
  pg_.Pause(true);
  auto start = steady_clock::now();
  HttpResponse hung = a.Call("/get?k=k&ttl=0");
  auto took = steady_clock::now() - start;
  pg_.Pause(false);
  EXPECT_EQ(hung.status, 503);
  EXPECT_EQ(hung.body, "Error: KV get() failed: PostgreSQL unavailable: no answer within 5000 ms");
  EXPECT_GE(took, milliseconds(4900));
  EXPECT_LT(took, milliseconds(9000));
  EXPECT_EQ(a.Call("/get?k=k&ttl=0").body, "before");
}

// Expiration is PostgreSQL's too: node B, two minutes later as far as its KV clock can tell
// (ATOLL_KV_TEST_CLOCK_OFFSET), sees none of what expired; every 16th put sweeps expired rows.
TEST_F(PgKv, ExpiredKeysVanishOnAnotherNodeAndPutsSweepThem) {
  Node a(fixture_, "a", pg_);
  ASSERT_EQ(a.Call("/put?k=x/short&v=1&ttl=60").body, "ok") << a.server->log();
  ASSERT_EQ(a.Call("/put?k=x/long&v=2&ttl=3600").body, "ok");
  ASSERT_EQ(a.Call("/put?k=x/forever&v=3").body, "ok");
  EXPECT_EQ(a.Call("/list?p=x/").body, "x/forever\nx/long\nx/short");
  setenv("ATOLL_KV_TEST_CLOCK_OFFSET", "120", 1);
  Node b(fixture_, "b", pg_);
  unsetenv("ATOLL_KV_TEST_CLOCK_OFFSET");
  EXPECT_EQ(b.Call("/list?p=x/").body, "x/forever\nx/long");
  EXPECT_EQ(b.Call("/get?k=x/short").status, 404);
  EXPECT_EQ(b.Call("/get?k=x/long").body, "2");
  EXPECT_EQ(pg_.Psql("SELECT count(*) FROM atoll_kv WHERE key = 'x/short'"), "1\n") << "not swept yet";
  for (int i = 0; i < 16; ++i) ASSERT_EQ(b.Call("/put?k=y" + std::to_string(i) + "&v=v").body, "ok");
  EXPECT_TRUE(WaitFor([&] { return pg_.Psql("SELECT count(*) FROM atoll_kv WHERE key = 'x/short'") == "0\n"; },
                      milliseconds(3000)));
}

// bindings/js/kv_test.js, the Workers KV semantics, on PostgreSQL instead of SQLite.
TEST_F(PgKv, JsKvTestsPassOnPostgres) {
  TestServer server(fixture_.WriteConfig("", "[cluster]\npostgres = \"" + pg_.conninfo() + R"("
[[tenants]]
name = "default"
script = ")" + SourcePath("bindings/js/kv_test.js") + R"("
routes = ["*/*"]
cpu_ms = 5000
[tenants.kv]
STORE = "js-test"
)"));
  HttpResponse r = Get(server.port(), "/");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server.log();
  JsTestCounts counts = ParseJsTestCounts(r.body);
  ASSERT_GE(counts.passed, 0) << r.body;
  EXPECT_EQ(counts.failed, 0) << r.body;
  EXPECT_GE(counts.passed, 8) << r.body;
  EXPECT_NE(pg_.Psql("SELECT count(*) FROM atoll_kv WHERE namespace = 'js-test'"), "0\n") << "the rows are in PostgreSQL";
}

}  // namespace
}  // namespace atl::testing
