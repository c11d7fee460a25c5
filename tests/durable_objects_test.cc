// Durable Objects (env.NAME namespaces, [tenants.durable_objects]) through the real binary on
// 127.0.0.1, with two worker processes so that calls for an object the other process owns are
// forwarded (server/durable_objects_service.h): a counter incremented 1,000 times by 50
// connections ends at exactly 1,000, an acknowledged write survives kill -9, an alarm fires
// within 1 s of its time after a restart, ids from names are stable, tenants never share
// storage, RPC, ctx.storage.sql, transaction rollback, hibernation, and a client's headers
// cannot pass for a forwarded call.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr const char* kScript = R"JS(
import { DurableObject } from "cloudflare:workers";
let constructed = 0;
const isolateToken = String(Math.random());  // tells this isolate from the other process's
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    constructed++;
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/inc") {
      const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
      await this.ctx.storage.put("n", n);
      return new Response(String(n));
    }
    if (url.pathname === "/alarm") {
      const at = Date.now() + Number(url.searchParams.get("in"));
      await this.ctx.storage.setAlarm(at);
      return new Response(String(at));
    }
    if (url.pathname === "/fired") return Response.json((await this.ctx.storage.get("fired")) ?? null);
    if (url.pathname === "/token") return new Response(isolateToken);
    if (url.pathname === "/upload") {
      let bytes = 0, chunks = 0;
      const reader = request.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) { bytes += r.value.byteLength; chunks++; }
      return new Response(`${bytes} bytes in ${chunks > 1 ? "many chunks" : "one chunk"}`);
    }
    return new Response(String((await this.ctx.storage.get("n")) ?? 0));
  }
  async alarm() {
    await this.ctx.storage.put("fired", { at: await this.ctx.storage.get("alarmAt"), now: Date.now() });
  }
  constructions() { return constructed; }
  add(a, b) { return { sum: a + b, id: this.ctx.id.toString(), list: [a, b] }; }
  fail() { throw new RangeError("nope"); }
  sql() {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS t(k TEXT PRIMARY KEY, v INTEGER)");
    const insert = sql.exec("INSERT OR REPLACE INTO t VALUES (?, ?), (?, ?)", "a", 1, "b", 2);
    const rows = sql.exec("SELECT k, v FROM t ORDER BY k");
    return { rows: rows.toArray(), written: insert.rowsWritten, one: sql.exec("SELECT v FROM t WHERE k = ?", "b").one(),
             raw: sql.exec("SELECT k FROM t ORDER BY k").raw().toArray(), size: sql.databaseSize > 0 };
  }
  async txn() {
    await this.ctx.storage.put("kept", 1);
    try {
      await this.ctx.storage.transaction(async (txn) => {
        await txn.put("gone", 1);
        await txn.delete("kept");
        throw new Error("boom");
      });
    } catch (e) {}
    return { gone: (await this.ctx.storage.get("gone")) ?? null, kept: (await this.ctx.storage.get("kept")) ?? null };
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "a";
    const id = env.COUNTER.idFromName(name);
    const stub = env.COUNTER.get(id);
    switch (url.pathname) {
      case "/id": return new Response(id.toString());
      case "/rpc": return Response.json(await stub.add(2, 3));
      case "/rpc-error": try { await stub.fail(); } catch (e) { return new Response(e.name + ": " + e.message); }
      case "/constructions": return Response.json(await stub.constructions());
      case "/sql": return Response.json(await stub.sql());
      case "/txn": return Response.json(await stub.txn());
      case "/where": {
        const token = await (await stub.fetch("http://do/token")).text();
        return new Response(token === isolateToken ? "here" : "elsewhere");
      }
      case "/big-upload": {
        // 48 MB made as it is read, sent to the object: whole, three times this tenant's memory.
        let left = 48 * 16;
        const body = new ReadableStream({
          pull(controller) {
            if (left-- === 0) controller.close();
            else controller.enqueue(new Uint8Array(64 << 10));  // fresh: the dropped ones wait for a GC
          },
        });
        const response = await stub.fetch("http://do/upload", { method: "POST", body });
        return new Response(`${response.status} ${await response.text()}`);
      }
    }
    return stub.fetch(request);
  },
};
)JS";

std::string Config(const TenantFixture& fixture) {
  fixture.Write("do.js", kScript);
  return fixture.WriteConfig("do_idle_ms = 1000\n", R"(
[[tenants]]
name = "a"
script = "do.js"
routes = ["a.test/*", "test.local/*"]
[tenants.durable_objects]
COUNTER = "Counter"
[[tenants]]
name = "b"
script = "do.js"
routes = ["b.test/*"]
[tenants.durable_objects]
COUNTER = "Counter"
)");
}

const std::vector<std::string> kTwoWorkers = {"--workers", "2"};

// A Durable Object class of the older style (a plain class, no import of cloudflare:workers)
// gets the tenant's env as its constructor's second argument, as on Workers (it was undefined:
// env reached the objects only through that import).
TEST(DurableObjects, APlainClassGetsEnvWithoutImportingCloudflareWorkers) {
  TenantFixture fixture;
  fixture.Write("plain.js", R"JS(
export class Greeter {
  constructor(state, env) { this.env = env; }
  async fetch() { return new Response(`${typeof this.env} ${this.env?.GREETING}`); }
}
export default {
  fetch(request, env) { return env.GREETER.get(env.GREETER.idFromName("one")).fetch(request); },
};
)JS");
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "plain.js"
routes = ["a.test/*"]
[tenants.vars]
GREETING = "hello"
[tenants.durable_objects]
GREETER = "Greeter"
)"));
  EXPECT_EQ(BodyFromTenant(server, "a", "/"), "object hello") << server.log();
  EXPECT_EQ(server.Stop(), 0);
}

// One object of class Counter whose alarm() is `alarm_body`: GET /start sets n = 0 and the alarm
// for now, GET /count answers n.
std::unique_ptr<TestServer> StartAlarmCounter(TenantFixture& fixture, const std::string& alarm_body) {
  fixture.Write("alarms.js", R"JS(
export class Counter {
  constructor(state) { this.storage = state.storage; }
  async fetch(request) {
    if (new URL(request.url).pathname === "/start") {
      await this.storage.put("n", 0);
      await this.storage.setAlarm(Date.now());
      return new Response("started");
    }
    return new Response(String(await this.storage.get("n")));
  }
  async alarm() {)JS" + alarm_body + R"JS(}
}
export default {
  fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName("one")).fetch(request); },
};
)JS");
  auto server = std::make_unique<TestServer>(fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "alarms.js"
routes = ["a.test/*"]
[tenants.durable_objects]
COUNTER = "Counter"
)"));
  EXPECT_EQ(BodyFromTenant(*server, "a", "/start"), "started");
  return server;
}

// An object whose alarm re-arms itself for "now" gets its alarm events one after another (the
// server looks again 5 ms after one ends), not a busy loop: at most ~200 a second. (Before the
// look after an event's end, it got 5 a second; without the 5 ms, as many as the loop could run.)
TEST(DurableObjects, AnAlarmThatReArmsItselfForNowIsPaced) {
  TenantFixture fixture;
  std::unique_ptr<TestServer> server = StartAlarmCounter(fixture, R"JS(
    await this.storage.put("n", (await this.storage.get("n")) + 1);
    await this.storage.setAlarm(Date.now());
  )JS");
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int n = std::stoi(BodyFromTenant(*server, "a", "/count"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(n, 20) << "the events follow each other sooner than the 200 ms tick";
  EXPECT_LE(n, static_cast<int>(seconds * 200) + 20) << "paced by the 5 ms look";
  EXPECT_EQ(server->Stop(), 0);
}

// An alarm handler that sets the alarm again, to the very time that fired (setAlarm(Date.now())
// in the same millisecond), gets it: the event clears only an alarm its handler did not set
// (it compared times, and took this one for the alarm that had fired).
TEST(DurableObjects, AnAlarmSetAgainForItsOwnTimeFiresAgain) {
  TenantFixture fixture;
  std::unique_ptr<TestServer> server = StartAlarmCounter(fixture, R"JS(
    const firing = await this.storage.getAlarm();
    const n = (await this.storage.get("n")) + 1;
    await this.storage.put("n", n);
    if (n < 3) await this.storage.setAlarm(firing);
  )JS");
  EXPECT_TRUE(WaitFor([&] { return GetFromTenant(*server, "a", "/count").body == "3"; }, std::chrono::seconds(5)))
      << GetFromTenant(*server, "a", "/count").body << server->log();
  EXPECT_EQ(server->Stop(), 0);
}

// A caller whose object lives in the other worker process streams a request body to it: 48 MB
// through tenants of 16 MB (read whole before the call, the body would kill the caller).
TEST(DurableObjects, ACallToAnObjectInAnotherProcessStreamsItsRequestBody) {
  TenantFixture fixture;
  fixture.Write("do.js", kScript);
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "do.js"
routes = ["a.test/*"]
memory_mb = 16
cpu_ms = 2000
[tenants.durable_objects]
COUNTER = "Counter"
)"), kTwoWorkers);
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  // A connection stays with the process that accepted it: find one whose caller is not the
  // object's process (the object lives where its first call made it).
  bool tried = false;
  for (int attempt = 0; attempt < 100 && !tried; ++attempt) {
    RawClient client(server.port());
    client.Send("GET /where?name=big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    HttpResponse where = client.ReadResponse();
    ASSERT_EQ(where.status, 200) << where.body;
    if (where.body != "elsewhere") continue;
    tried = true;
    client.Send("GET /big-upload?name=big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    HttpResponse upload = client.ReadResponse(false, std::chrono::seconds(60));
    EXPECT_EQ(upload.status, 200) << upload.body;
    EXPECT_EQ(upload.body, "200 " + std::to_string(48 << 20) + " bytes in many chunks") << server.log();
  }
  EXPECT_TRUE(tried) << "no connection reached the process without the object";
}

TEST(DurableObjects, ConcurrentIncrementsFromFiftyConnectionsEndAtExactlyOneThousand) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  // Both worker processes accept before the clients connect (else one may take them all).
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 50; ++c) {
    threads.emplace_back([&server, &ok] {
      RawClient client(server.port());
      for (int i = 0; i < 20; ++i) {
        client.Send("GET /inc?name=counter HTTP/1.1\r\nHost: a.test\r\n\r\n");
        if (client.ReadResponse().status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1000);
  EXPECT_EQ(GetFromTenant(server, "a", "/get?name=counter").body, "1000");
  // Both processes took requests for the object (the access log names the worker): the one
  // that does not own it forwarded them. Which one accepts a connection is the kernel's choice
  // (on a loaded machine one awake worker may take all 50): increments on fresh connections
  // until the other has taken one too, each counted.
  auto workers_seen = [&] {
    std::set<std::string> workers;
    std::string log = server.log();
    for (size_t at = log.find("\"path\":\"/inc\""); at != std::string::npos; at = log.find("\"path\":\"/inc\"", at + 1)) {
      size_t worker = log.find("\"worker\":", at);
      if (worker != std::string::npos) workers.insert(log.substr(worker, log.find('}', worker) - worker));
    }
    return workers.size();
  };
  int extra = 0;
  while (workers_seen() < 2 && extra < 500) {
    ASSERT_EQ(GetFromTenant(server, "a", "/inc?name=counter").status, 200);
    ++extra;
  }
  EXPECT_EQ(workers_seen(), 2u) << "both worker processes accept some";
  EXPECT_EQ(GetFromTenant(server, "a", "/get?name=counter").body, std::to_string(1000 + extra));
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, AcknowledgedWritesSurviveKillDashNine) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  TestServer server(config, kTwoWorkers);
  for (int i = 1; i <= 30; ++i) ASSERT_EQ(GetFromTenant(server, "a", "/inc?name=durable").body, std::to_string(i));
  ASSERT_TRUE(WaitFor([&] { return server.worker_pid(0) > 0 && server.worker_pid(1) > 0; }, std::chrono::seconds(5)));
  pid_t first = server.worker_pid(0), second = server.worker_pid(1);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_EQ(kill(second, SIGKILL), 0);
  // The supervisor starts both again; the object is re-created from its database.
  ASSERT_TRUE(WaitFor([&] { return server.worker_pid(0) != first && server.worker_pid(1) != second; },
                      std::chrono::seconds(10)));
  HttpResponse r;
  ASSERT_TRUE(WaitFor([&] { return (r = GetFromTenant(server, "a", "/get?name=durable")).status == 200; }, std::chrono::seconds(10)));
  EXPECT_EQ(r.body, "30");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, AlarmFiresWithinOneSecondOfItsTimeAfterARestart) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  int64_t at = 0;
  {
    TestServer server(config, kTwoWorkers);
    at = std::stoll(GetFromTenant(server, "a", "/alarm?name=sleeper&in=2500").body);
    EXPECT_EQ(server.Stop(), 0);
  }
  auto restarted_at = std::chrono::system_clock::now();
  TestServer server(config, kTwoWorkers);
  HttpResponse r;
  ASSERT_TRUE(WaitFor([&] { return (r = GetFromTenant(server, "a", "/fired?name=sleeper")).body != "null"; },
                      std::chrono::seconds(8)))
      << r.body;
  size_t now_at = r.body.find("\"now\":");
  ASSERT_NE(now_at, std::string::npos) << r.body;
  int64_t fired = std::stoll(r.body.substr(now_at + 6));
  int64_t restart_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(restarted_at.time_since_epoch()).count();
  EXPECT_GE(fired, at);
  EXPECT_LE(fired - std::max(at, restart_ms), 1000) << "fired " << fired - at << " ms after its time";
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, IdFromNameIsStableAcrossRestartsAndTenantsNeverShareStorage) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  std::string id;
  {
    TestServer server(config, kTwoWorkers);
    id = GetFromTenant(server, "a", "/id?name=room").body;
    EXPECT_EQ(id.size(), 64u);
    EXPECT_NE(GetFromTenant(server, "b", "/id?name=room").body, id) << "another tenant's namespace";
    for (int i = 0; i < 3; ++i) GetFromTenant(server, "a", "/inc?name=room");
    EXPECT_EQ(GetFromTenant(server, "b", "/inc?name=room").body, "1") << "b's object has storage of its own";
    EXPECT_EQ(server.Stop(), 0);
  }
  TestServer server(config, kTwoWorkers);
  EXPECT_EQ(GetFromTenant(server, "a", "/id?name=room").body, id);
  EXPECT_EQ(GetFromTenant(server, "a", "/get?name=room").body, "3");
  EXPECT_EQ(GetFromTenant(server, "b", "/get?name=room").body, "1");
  EXPECT_TRUE(std::filesystem::exists(fixture.dir() / "data" / "do" / "a" / "Counter" / (id + ".sqlite3")));
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, RpcSqlAndTransactionRollback) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  // Several names: some objects are owned by the process that got the request, some forwarded.
  for (const char* name : {"r1", "r2", "r3", "r4"}) {
    std::string id = GetFromTenant(server, "a", std::string("/id?name=") + name).body;
    EXPECT_EQ(GetFromTenant(server, "a", std::string("/rpc?name=") + name).body,
              "{\"sum\":5,\"id\":\"" + id + "\",\"list\":[2,3]}");
    EXPECT_EQ(GetFromTenant(server, "a", std::string("/rpc-error?name=") + name).body, "RangeError: nope");
    EXPECT_EQ(GetFromTenant(server, "a", std::string("/sql?name=") + name).body,
              "{\"rows\":[{\"k\":\"a\",\"v\":1},{\"k\":\"b\",\"v\":2}],\"written\":2,\"one\":{\"v\":2},"
              "\"raw\":[[\"a\"],[\"b\"]],\"size\":true}");
    EXPECT_EQ(GetFromTenant(server, "a", std::string("/txn?name=") + name).body, "{\"gone\":null,\"kept\":1}");
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, ClientHeadersCannotForgeForwardedCalls) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  std::string forged = "x-atoll-do: alarm Counter " + std::string(64, '0') + "\r\nx-atoll-do-token: guess\r\n";
  for (const char* name : {"f1", "f2", "f3", "f4"}) {
    // Taken as the client's headers: the front Worker runs, and its call reaches the object
    // (forwarded or not) with the client's x-atoll-do* headers left out.
    HttpResponse r = GetFrom(server.port(), "a.test", std::string("/inc?name=") + name, forged);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "1") << name;
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DurableObjects, IdleObjectsHibernateAndComeBackWithTheirStorage) {
  TenantFixture fixture;
  TestServer server(Config(fixture), {"--workers", "1"});
  EXPECT_EQ(GetFromTenant(server, "a", "/inc?name=h").body, "1");
  EXPECT_EQ(GetFromTenant(server, "a", "/constructions?name=h").body, "1");
  EXPECT_EQ(GetFromTenant(server, "a", "/constructions?name=h").body, "1") << "still in memory";
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // do_idle_ms = 1000
  EXPECT_EQ(GetFromTenant(server, "a", "/constructions?name=h").body, "2") << "evicted, then made again";
  EXPECT_EQ(GetFromTenant(server, "a", "/get?name=h").body, "1");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
