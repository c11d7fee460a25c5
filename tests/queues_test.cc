// Queues ([tenants.queues] producers, [tenants.queue_consumers], js/lazy/queues.js) through the
// real binary on 127.0.0.1, with two worker processes (a queue is a Durable Object: sends from
// the process that does not run it are forwarded): every message sent is delivered once, in
// batches, each body as its content type; retry() and a throwing handler deliver again with attempts counted, and past
// max_retries a message goes to the dead letter queue; a handler that spins past cpu_ms does
// too, after its attempts; a delayed message waits and survives a restart of the server;
// tenants' queues of one name are apart; a wrangler project with [[queues.producers]] and
// [[queues.consumers]] runs unchanged. The consumer writes what it saw to KV, which the test
// reads through the tenant's fetch handler.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kScript = R"JS(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (k) => url.searchParams.get(k);
    try {
      switch (url.pathname) {
        case "/send": {
          const body = { n: Number(q("n")), kind: q("kind") ?? "ok" };
          await env.JOBS.send(body, { delaySeconds: Number(q("delay") ?? 0) });
          return new Response("sent");
        }
        case "/batch": {
          const from = Number(q("from")), count = Number(q("count"));
          const kind = q("kind") ?? "ok";
          await env.JOBS.sendBatch(Array.from({ length: count }, (_, i) => ({ body: { n: from + i, kind } })));
          return new Response("sent");
        }
        case "/types": {
          await env.JOBS.send("hello", { contentType: "text" });
          await env.JOBS.send(new Uint8Array([7, 8]), { contentType: "bytes" });
          await env.JOBS.send({ kind: "json", at: new Date(0) }, { contentType: "json" });
          await env.JOBS.send({ kind: "v8", at: new Date(0), tags: new Map([["a", 1]]) });
          return new Response("sent");
        }
        case "/seen": {
          const { keys } = await env.SEEN.list({ prefix: q("prefix") ?? "" });
          const out = {};
          for (const { name } of keys) out[name] = await env.SEEN.get(name);
          return Response.json(out);
        }
      }
      return new Response("no route", { status: 404 });
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`, { status: 500 });
    }
  },
  async queue(batch, env) {
    for (const m of batch.messages) {
      if (batch.queue === "jobs-dlq") {
        await env.SEEN.put(`dead:${m.body.n}`, m.body.kind);
        continue;
      }
      if (typeof m.body === "string") { await env.SEEN.put("type:text", m.body); continue; }
      if (m.body instanceof ArrayBuffer) { await env.SEEN.put("type:bytes", new Uint8Array(m.body).join()); continue; }
      if (m.body.kind === "json") { await env.SEEN.put("type:json", typeof m.body.at); continue; }
      if (m.body.kind === "v8") { await env.SEEN.put("type:v8", `${m.body.at instanceof Date} ${m.body.tags.get("a")}`); continue; }
      const { n, kind } = m.body;
      if (kind === "bulk") {  // counted, one batch at a time (a queue's deliveries do not overlap)
        await env.SEEN.put("bulk", String(Number((await env.SEEN.get("bulk")) ?? 0) + 1));
        continue;
      }
      if (kind === "retry-once" && m.attempts === 1) { m.retry(); continue; }
      if (kind === "always-retry") { m.retry(); continue; }
      if (kind === "throw") throw new Error("on purpose");
      if (kind === "spin") for (;;) {}
      await env.SEEN.put(`ok:${n}`, `${m.attempts} ${batch.messages.length} ${typeof m.id} ${m.timestamp instanceof Date}`);
      m.ack();
    }
  },
};
)JS";

std::string Tenant(const std::string& name) {
  return R"(
[[tenants]]
name = ")" + name + R"("
script = "queues.js"
routes = [")" + name + R"(.test/*"]
cpu_ms = 50
[tenants.kv]
SEEN = "seen-)" + name + R"("
[tenants.queues]
JOBS = "jobs"
[tenants.queue_consumers]
jobs = { max_batch_size = 10, max_batch_timeout = 1, max_retries = 2, dead_letter_queue = "jobs-dlq" }
jobs-dlq = { max_batch_timeout = 0 }
)";
}

struct QueuesProject {
  TenantFixture fixture;
  std::string config;
  QueuesProject() {
    fixture.Write("queues.js", kScript);
    config = fixture.WriteConfig("", Tenant("a") + Tenant("b"));
  }
};

const std::vector<std::string> kTwoWorkers = {"--workers", "2"};

// The number of KV keys under `prefix` once it reaches `count` (or what it was at the deadline).
// A request refused meanwhile (the tenant's kill streak) is asked again.
size_t WaitForSeen(const TestServer& server, const std::string& tenant, const std::string& prefix, size_t count,
                   seconds timeout = seconds(20)) {
  size_t seen = 0;
  WaitFor([&] {
    std::string body = GetFromTenant(server, tenant, "/seen?prefix=" + prefix).body;
    seen = 0;
    for (size_t at = body.find("\"" + prefix); at != std::string::npos; at = body.find("\"" + prefix, at + 1)) ++seen;
    return seen >= count;
  }, timeout);
  return seen;
}

TEST(Queues, EveryMessageIsDeliveredOnceInBatches) {
  QueuesProject project;
  TestServer server(project.config, kTwoWorkers);
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  // 60 messages from both processes: six batches of 10 sent, then ten single sends.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(BodyFromTenant(server, "a", "/batch?from=" + std::to_string(i * 10) + "&count=10"), "sent");
  }
  for (int i = 50; i < 60; ++i) ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=" + std::to_string(i)), "sent");
  EXPECT_EQ(WaitForSeen(server, "a", "ok:", 60), 60u) << server.log();
  std::string seen = BodyFromTenant(server, "a", "/seen?prefix=ok:");
  // Each once, on its first attempt, in a batch of more than one, with Workers' fields.
  EXPECT_EQ(seen.find("\"1 1 "), std::string::npos) << seen;
  EXPECT_EQ(seen.find(" 1 string true\""), std::string::npos) << "no batch of one: " << seen;
  EXPECT_NE(seen.find("\"ok:0\":\"1 10 string true\""), std::string::npos) << seen;
  // Tenant b's queue of the same name is its own: nothing arrived there.
  EXPECT_EQ(BodyFromTenant(server, "b", "/seen"), "{}");
  EXPECT_EQ(server.Stop(), 0);
}

// 3,000 messages sent at once are 300 batches of 10 delivered one after another, each alarm
// set by the delivery before it (in the same millisecond as its own, on a fast machine: an
// alarm left at the firing one's time was cleared by its event, and the queue stalled).
TEST(Queues, ABacklogIsConsumedToTheEnd) {
  QueuesProject project;
  TestServer server(project.config);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(BodyFromTenant(server, "a", "/batch?kind=bulk&from=" + std::to_string(i * 100) + "&count=100"), "sent");
  }
  std::string count;
  EXPECT_TRUE(WaitFor([&] {
    count = GetFromTenant(server, "a", "/seen?prefix=bulk").body;
    return count == R"({"bulk":"3000"})";
  }, seconds(60))) << count << server.log();
  EXPECT_EQ(server.Stop(), 0);
}

// Each content type arrives as Queues delivers it: text a string, bytes an ArrayBuffer, json
// through JSON (a Date becomes its string), v8 a structured clone (the default).
TEST(Queues, BodiesArriveAsTheirContentType) {
  QueuesProject project;
  TestServer server(project.config);
  ASSERT_EQ(BodyFromTenant(server, "a", "/types"), "sent");
  EXPECT_EQ(WaitForSeen(server, "a", "type:", 4), 4u) << server.log();
  EXPECT_EQ(BodyFromTenant(server, "a", "/seen?prefix=type:"),
            R"({"type:bytes":"7,8","type:json":"string","type:text":"hello","type:v8":"true 1"})");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Queues, RetriesAreCountedAndExhaustedMessagesGoToTheDeadLetterQueue) {
  QueuesProject project;
  TestServer server(project.config, kTwoWorkers);
  ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=1&kind=retry-once"), "sent");
  ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=2&kind=always-retry"), "sent");
  ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=3&kind=throw"), "sent");
  EXPECT_EQ(WaitForSeen(server, "a", "dead:", 2), 2u) << server.log();
  EXPECT_EQ(WaitForSeen(server, "a", "ok:", 1), 1u) << server.log();
  std::string seen = BodyFromTenant(server, "a", "/seen");
  EXPECT_NE(seen.find("\"ok:1\":\"2 "), std::string::npos) << "delivered again, attempts 2: " << seen;
  EXPECT_NE(seen.find("\"dead:2\":\"always-retry\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"dead:3\":\"throw\""), std::string::npos) << seen;
  EXPECT_EQ(seen.find("ok:2"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("ok:3"), std::string::npos) << seen;
  EXPECT_EQ(server.Stop(), 0);
}

// A handler that never ends its batch (killed at cpu_ms each time) is not delivered for ever:
// its attempts are counted before it runs, and after 1 + max_retries it is a dead letter. The
// tenant's requests are served meanwhile.
TEST(Queues, AHandlerThatSpinsPastItsLimitEndsInTheDeadLetterQueue) {
  QueuesProject project;
  TestServer server(project.config);
  ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=7&kind=spin"), "sent");
  EXPECT_EQ(WaitForSeen(server, "a", "dead:", 1, seconds(30)), 1u) << server.log();
  EXPECT_NE(BodyFromTenant(server, "a", "/seen").find("\"dead:7\":\"spin\""), std::string::npos);
  ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=8"), "sent");
  EXPECT_EQ(WaitForSeen(server, "a", "ok:", 1), 1u) << server.log();
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Queues, ADelayedMessageWaitsAndSurvivesARestart) {
  QueuesProject project;
  {
    TestServer server(project.config, kTwoWorkers);
    ASSERT_EQ(BodyFromTenant(server, "a", "/send?n=5&delay=2"), "sent");
    EXPECT_EQ(BodyFromTenant(server, "a", "/seen"), "{}");  // not before its delay
    EXPECT_EQ(server.Stop(), 0);
  }
  TestServer again(project.config, kTwoWorkers);
  EXPECT_EQ(WaitForSeen(again, "a", "ok:", 1), 1u) << again.log();
  EXPECT_NE(BodyFromTenant(again, "a", "/seen").find("\"ok:5\":\"1 1 string true\""), std::string::npos);
  EXPECT_EQ(again.Stop(), 0);
}

TEST(Queues, AWranglerProjectWithProducersAndConsumersRunsUnchanged) {
  TenantFixture fixture;
  fixture.Write("project/src/index.js", kScript);
  std::string wrangler = fixture.Write("project/wrangler.toml", R"(name = "jobs"
main = "src/index.js"
compatibility_date = "2026-06-01"
kv_namespaces = [{ binding = "SEEN", id = "seen" }]
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[queues.consumers]]
queue = "jobs"
max_batch_size = 5
max_batch_timeout = 1
max_retries = 1
dead_letter_queue = "jobs-dlq"
[[queues.consumers]]
queue = "jobs-dlq"
max_batch_timeout = 0
)");
  TestServer server("", {"--wrangler", wrangler, "--data-dir", (fixture.dir() / "data").string()});
  ASSERT_EQ(Get(server.port(), "/send?n=1").body, "sent") << server.log();
  ASSERT_EQ(Get(server.port(), "/send?n=2&kind=always-retry").body, "sent");
  EXPECT_TRUE(WaitFor([&] {
    std::string seen = Get(server.port(), "/seen").body;
    return seen.find("\"ok:1\"") != std::string::npos && seen.find("\"dead:2\"") != std::string::npos;
  }, seconds(20))) << Get(server.port(), "/seen").body << server.log();
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
