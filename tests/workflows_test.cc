// Workflows ([tenants.workflows], js/lazy/workflows.js) through the real binary on 127.0.0.1,
// with two worker processes (an instance is a Durable Object, so calls for one the other
// process owns are forwarded): a step's result is stored and never computed again when run()
// is replayed after a sleep or a retry; retries with their delay; NonRetryableError and
// exhausted retries error the instance; waitForEvent takes an event sent before or after it
// waits, and times out; pause, resume, terminate and restart; an instance sleeping through a
// restart of the server completes; a run that cannot fit its limits errors after 3 attempts;
// ids, duplicates, batches, tenants apart.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr const char* kScript = R"JS(
import { WorkflowEntrypoint } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";

// Counts in KV, which outlives isolates, processes and restarts: how often a step's callback ran.
async function count(env, key) {
  const n = Number((await env.LOG.get(key)) ?? 0) + 1;
  await env.LOG.put(key, String(n));
  return n;
}

export class Flow extends WorkflowEntrypoint {
  async run(event, step) {
    await count(this.env, `replays:${event.instanceId}`);
    const first = await step.do("first", async () => {
      await count(this.env, `first:${event.instanceId}`);
      return { doubled: event.payload.x * 2, at: Date.now() };
    });
    await step.sleep("nap", event.payload.nap ?? "1 second");
    const flaky = await step.do("flaky", { retries: { limit: 3, delay: 100, backoff: "constant" } }, async (ctx) => {
      const n = await count(this.env, `flaky:${event.instanceId}`);
      if (ctx.attempt !== n) throw new NonRetryableError(`attempt ${ctx.attempt} is run ${n}`);  // kept across replays
      if (n < 3) throw new Error(`flaky ${n}`);
      return n;
    });
    return { first, flaky, id: event.instanceId, created: event.timestamp instanceof Date, ended: Date.now() };
  }
}

export class Failing extends WorkflowEntrypoint {
  async run(event, step) {
    const mode = event.payload.mode;
    if (mode === "nonretry") {
      await step.do("fatal", async () => {
        await count(this.env, `fatal:${event.instanceId}`);
        throw new NonRetryableError("card declined");
      });
    }
    if (mode === "exhaust") {
      await step.do("always", { retries: { limit: 2, delay: "50 milliseconds" } }, async () => {
        await count(this.env, `always:${event.instanceId}`);
        throw new RangeError("still down");
      });
    }
    if (mode === "caught") {
      try {
        await step.do("once", { retries: { limit: 0, delay: 0 } }, async () => { throw new Error("no luck"); });
      } catch (e) {
        return `caught ${e.message}`;
      }
    }
    if (mode === "timeout") {
      await step.do("slow", { retries: { limit: 0, delay: 0 }, timeout: 200 }, () => new Promise(() => {}));
    }
    return "unreachable";
  }
}

export class Waiter extends WorkflowEntrypoint {
  async run(event, step) {
    const got = await step.waitForEvent("approval", { type: "approve", timeout: event.payload.timeout ?? "1 minute" });
    const after = await step.do("after", async () => count(this.env, `after:${event.instanceId}`));
    return { type: got.type, payload: got.payload, when: got.timestamp instanceof Date, after };
  }
}

// A run that cannot fit its limits: past its CPU budget, or waiting on nothing past wall_ms.
export class Stuck extends WorkflowEntrypoint {
  async run(event, step) {
    await step.do("before", async () => count(this.env, `before:${event.instanceId}`));
    await count(this.env, `replays:${event.instanceId}`);
    if (event.payload.mode === "spin") for (;;) {}
    await new Promise(() => {});
  }
}

export class Sleeper extends WorkflowEntrypoint {
  async run(event, step) {
    await step.do("a", async () => count(this.env, `a:${event.instanceId}`));
    await step.sleep("long", event.payload.sleep ?? 1500);
    return "woke";
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (k) => url.searchParams.get(k);
    const flow = env[q("wf") ?? "FLOW"];
    try {
      switch (url.pathname) {
        case "/create": {
          const options = {};
          if (q("id") !== null) options.id = q("id");
          if (q("params") !== null) options.params = JSON.parse(q("params"));
          const instance = await flow.create(options);
          return Response.json({ id: instance.id, status: await instance.status() });
        }
        case "/batch": {
          const list = await flow.createBatch([1, 2, 3].map((i) => ({ id: `${q("id")}-${i}`, params: { sleep: 10 } })));
          return Response.json(list.map((i) => i.id));
        }
        case "/status": return Response.json(await (await flow.get(q("id"))).status());
        case "/control": {
          const instance = await flow.get(q("id"));
          await instance[q("action")]();
          return Response.json(await instance.status());
        }
        case "/event": {
          await (await flow.get(q("id"))).sendEvent({ type: q("type"), payload: JSON.parse(q("payload")) });
          return new Response("sent");
        }
        case "/count": return new Response((await env.LOG.get(q("key"))) ?? "0");
      }
      return new Response("no route", { status: 404 });
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` });
    }
  },
};
)JS";

std::string Config(const TenantFixture& fixture) {
  fixture.Write("wf.js", kScript);
  return fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "wf.js"
routes = ["a.test/*"]
[tenants.kv]
LOG = "log-a"
[tenants.workflows]
FLOW = "Flow"
FAILING = "Failing"
WAITER = "Waiter"
SLEEPER = "Sleeper"
MISSING = "NoSuchClass"
STUCK = "Stuck"
[[tenants]]
name = "b"
script = "wf.js"
routes = ["b.test/*"]
[tenants.kv]
LOG = "log-b"
[tenants.workflows]
FLOW = "Flow"
)");
}

const std::vector<std::string> kTwoWorkers = {"--workers", "2"};

std::string Status(const TestServer& server, const std::string& wf, const std::string& id) {
  return BodyFromTenant(server, "a", "/status?wf=" + wf + "&id=" + id);
}

// Polls the instance's status until it contains `wanted`; the last status.
std::string WaitForStatus(const TestServer& server, const std::string& wf, const std::string& id,
                          const std::string& wanted, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  std::string status;
  WaitFor([&] {
    status = Status(server, wf, id);
    return status.find(wanted) != std::string::npos;
  }, Slow(timeout));
  return status;
}

std::string Count(const TestServer& server, const std::string& key) { return BodyFromTenant(server, "a", "/count?key=" + key); }

TEST(Workflows, AStepRunsOnceAcrossReplaysAndRetriesWaitTheirDelay) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  auto started = std::chrono::steady_clock::now();
  std::string created = BodyFromTenant(server, "a", "/create?id=order-1&params=%7B%22x%22%3A21%7D");
  // Queued, or running already: the instance's first alarm may fire between create() and
  // status() (the server looks for alarms 5 ms after any alarm event ends).
  EXPECT_TRUE(created == R"({"id":"order-1","status":{"status":"queued"}})" ||
              created == R"({"id":"order-1","status":{"status":"running"}})") << created;
  std::string status = WaitForStatus(server, "FLOW", "order-1", "\"complete\"");
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_NE(status.find(R"("status":"complete")"), std::string::npos) << status << server.log();
  EXPECT_NE(status.find(R"("doubled":42)"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("flaky":3,"id":"order-1","created":true)"), std::string::npos) << status;
  // The first step ran once, although run() started again after the sleep and each retry.
  EXPECT_EQ(Count(server, "first:order-1"), "1");
  EXPECT_EQ(Count(server, "flaky:order-1"), "3");
  EXPECT_GE(std::stoi(Count(server, "replays:order-1")), 4);
  // The sleep (1 s) and the two retry delays (100 ms each) were waited.
  EXPECT_GE(took, std::chrono::milliseconds(1200));
  size_t at = status.find("\"at\":"), ended = status.find("\"ended\":");
  ASSERT_NE(at, std::string::npos);
  ASSERT_NE(ended, std::string::npos);
  EXPECT_GE(std::stoll(status.substr(ended + 8)) - std::stoll(status.substr(at + 5)), 1200) << status;
  // Tenant b has a Workflow of the same class: not the same instances.
  EXPECT_NE(BodyFromTenant(server, "b", "/status?id=order-1").find("instance.not_found"), std::string::npos);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Workflows, NonRetryableErrorsAndExhaustedRetriesErrorTheInstance) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  BodyFromTenant(server, "a", "/create?wf=FAILING&id=fatal&params=%7B%22mode%22%3A%22nonretry%22%7D");
  BodyFromTenant(server, "a", "/create?wf=FAILING&id=exhaust&params=%7B%22mode%22%3A%22exhaust%22%7D");
  BodyFromTenant(server, "a", "/create?wf=FAILING&id=caught&params=%7B%22mode%22%3A%22caught%22%7D");
  BodyFromTenant(server, "a", "/create?wf=FAILING&id=timeout&params=%7B%22mode%22%3A%22timeout%22%7D");
  BodyFromTenant(server, "a", "/create?wf=MISSING&id=missing");
  EXPECT_EQ(WaitForStatus(server, "FAILING", "fatal", "errored"),
            R"({"status":"errored","error":{"name":"NonRetryableError","message":"card declined"}})");
  EXPECT_EQ(Count(server, "fatal:fatal"), "1");
  EXPECT_EQ(WaitForStatus(server, "FAILING", "exhaust", "errored"),
            R"({"status":"errored","error":{"name":"RangeError","message":"still down"}})");
  EXPECT_EQ(Count(server, "always:exhaust"), "3");  // the attempt and its 2 retries
  EXPECT_EQ(WaitForStatus(server, "FAILING", "caught", "complete"), R"({"status":"complete","output":"caught no luck"})");
  std::string timeout = WaitForStatus(server, "FAILING", "timeout", "errored");
  EXPECT_NE(timeout.find(R"("name":"WorkflowTimeoutError")"), std::string::npos) << timeout;
  std::string missing = WaitForStatus(server, "MISSING", "missing", "errored");
  EXPECT_NE(missing.find("no Workflow class named \\\"NoSuchClass\\\""), std::string::npos) << missing;
  // A finished instance takes no events and no pause.
  EXPECT_NE(BodyFromTenant(server, "a", "/event?wf=FAILING&id=fatal&type=x&payload=1").find("instance.not_running"), std::string::npos);
  EXPECT_NE(BodyFromTenant(server, "a", "/control?wf=FAILING&id=caught&action=pause").find("instance.not_running"), std::string::npos);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Workflows, WaitForEventTakesAnEventSentBeforeOrAfterAndTimesOut) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  BodyFromTenant(server, "a", "/create?wf=WAITER&id=later");
  WaitForStatus(server, "WAITER", "later", "waiting");
  // Another type does not wake it.
  EXPECT_EQ(BodyFromTenant(server, "a", "/event?wf=WAITER&id=later&type=reject&payload=%7B%7D"), "sent");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(Status(server, "WAITER", "later"), R"({"status":"waiting"})");
  EXPECT_EQ(BodyFromTenant(server, "a", "/event?wf=WAITER&id=later&type=approve&payload=%7B%22by%22%3A%22ann%22%7D"), "sent");
  EXPECT_EQ(WaitForStatus(server, "WAITER", "later", "complete"),
            R"({"status":"complete","output":{"type":"approve","payload":{"by":"ann"},"when":true,"after":1}})");
  // An event sent right after create(), before run() waits for it, is kept for it.
  BodyFromTenant(server, "a", "/create?wf=WAITER&id=early");
  EXPECT_EQ(BodyFromTenant(server, "a", "/event?wf=WAITER&id=early&type=approve&payload=7"), "sent");
  EXPECT_EQ(WaitForStatus(server, "WAITER", "early", "complete"),
            R"({"status":"complete","output":{"type":"approve","payload":7,"when":true,"after":1}})");
  BodyFromTenant(server, "a", "/create?wf=WAITER&id=nobody&params=%7B%22timeout%22%3A%22800%20milliseconds%22%7D");
  std::string timed_out = WaitForStatus(server, "WAITER", "nobody", "errored");
  EXPECT_NE(timed_out.find(R"("name":"WorkflowTimeoutError")"), std::string::npos) << timed_out;
  EXPECT_EQ(Count(server, "after:nobody"), "0");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Workflows, PauseResumeTerminateAndRestart) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=p");
  BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=t");
  WaitForStatus(server, "SLEEPER", "p", "waiting");
  WaitForStatus(server, "SLEEPER", "t", "waiting");
  EXPECT_EQ(BodyFromTenant(server, "a", "/control?wf=SLEEPER&id=p&action=pause"), R"({"status":"paused"})");
  EXPECT_EQ(BodyFromTenant(server, "a", "/control?wf=SLEEPER&id=t&action=terminate"), R"({"status":"terminated"})");
  // Past the sleep's end: neither goes on.
  std::this_thread::sleep_for(Slow(std::chrono::milliseconds(2200)));
  EXPECT_EQ(Status(server, "SLEEPER", "p"), R"({"status":"paused"})");
  EXPECT_EQ(Status(server, "SLEEPER", "t"), R"({"status":"terminated"})");
  EXPECT_NE(BodyFromTenant(server, "a", "/control?wf=SLEEPER&id=t&action=resume").find("instance.not_running"), std::string::npos);
  BodyFromTenant(server, "a", "/control?wf=SLEEPER&id=p&action=resume");
  EXPECT_EQ(WaitForStatus(server, "SLEEPER", "p", "complete"), R"({"status":"complete","output":"woke"})");
  EXPECT_EQ(Count(server, "a:p"), "1");
  // restart() runs it again from the start: its steps too.
  BodyFromTenant(server, "a", "/control?wf=SLEEPER&id=p&action=restart");
  WaitForStatus(server, "SLEEPER", "p", "waiting");
  EXPECT_EQ(Count(server, "a:p"), "2");
  EXPECT_EQ(WaitForStatus(server, "SLEEPER", "p", "complete"), R"({"status":"complete","output":"woke"})");
  EXPECT_EQ(Count(server, "a:t"), "1");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Workflows, AnInstanceSleepingThroughARestartOfTheServerCompletes) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  {
    TestServer server(config, kTwoWorkers);
    BodyFromTenant(server, "a", "/create?id=durable&params=%7B%22x%22%3A1%2C%22nap%22%3A%222%20seconds%22%7D");
    WaitForStatus(server, "FLOW", "durable", "waiting");
    EXPECT_EQ(Count(server, "first:durable"), "1");
    EXPECT_EQ(server.Stop(), 0);
  }
  TestServer server(config, kTwoWorkers);
  std::string status = WaitForStatus(server, "FLOW", "durable", "complete");
  EXPECT_NE(status.find(R"("status":"complete")"), std::string::npos) << status << server.log();
  EXPECT_NE(status.find(R"("doubled":2)"), std::string::npos) << status;
  EXPECT_EQ(Count(server, "first:durable"), "1");
  EXPECT_EQ(server.Stop(), 0);
}

// A replay killed for cpu_ms, or abandoned at wall_ms, is taken up again by the instance's
// alarm; after 3 in a row the instance errors instead of being replayed every few seconds for
// ever (and the tenant's kill streak with it).
TEST(Workflows, ARunThatCannotFitItsLimitsErrorsAfterThreeAttempts) {
  TenantFixture fixture;
  fixture.Write("wf.js", kScript);
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "wf.js"
routes = ["a.test/*"]
cpu_ms = 50
wall_ms = 1000
[tenants.kv]
LOG = "log-a"
[tenants.workflows]
STUCK = "Stuck"
)"));
  BodyFromTenant(server, "a", "/create?wf=STUCK&id=spin&params=%7B%22mode%22%3A%22spin%22%7D");
  BodyFromTenant(server, "a", "/create?wf=STUCK&id=hang&params=%7B%22mode%22%3A%22hang%22%7D");
  const std::string expected =
      R"J({"status":"errored","error":{"name":"Error","message":"the run was stopped 3 times in a row before it finished or waited (a cpu_ms, memory_mb or wall_ms limit)"}})J";
  // Requests that share the isolate with a spinning replay are lost with it (503): polled until
  // the answer is a status.
  auto settled = [&](const std::string& id) {
    std::string status;
    WaitFor([&] {
      HttpResponse r = GetFrom(server.port(), "a.test", "/status?wf=STUCK&id=" + id);
      status = r.body;
      return r.status == 200 && status.find("errored") != std::string::npos;
    }, Slow(std::chrono::seconds(60)));
    return status;
  };
  EXPECT_EQ(settled("spin"), expected) << server.log();
  EXPECT_EQ(settled("hang"), expected) << server.log();
  EXPECT_EQ(Count(server, "replays:spin"), "3");
  EXPECT_EQ(Count(server, "replays:hang"), "3");
  EXPECT_EQ(Count(server, "before:spin"), "1");
  // Errored, it is never replayed again.
  std::this_thread::sleep_for(Slow(std::chrono::milliseconds(1500)));
  EXPECT_EQ(Count(server, "replays:spin"), "3");
  EXPECT_EQ(Count(server, "replays:hang"), "3");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Workflows, IdsDuplicatesAndBatches) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kTwoWorkers);
  BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=dup&params=%7B%22sleep%22%3A10%7D");
  EXPECT_NE(BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=dup").find("instance.already_exists"), std::string::npos);
  EXPECT_NE(BodyFromTenant(server, "a", "/status?wf=SLEEPER&id=nope").find("instance.not_found"), std::string::npos);
  EXPECT_NE(BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=-bad").find("TypeError"), std::string::npos);
  EXPECT_NE(BodyFromTenant(server, "a", "/create?wf=SLEEPER&id=a%20b").find("TypeError"), std::string::npos);
  std::string generated = BodyFromTenant(server, "a", "/create?wf=SLEEPER&params=%7B%22sleep%22%3A10%7D");
  EXPECT_EQ(generated.find(R"({"id":")"), 0u) << generated;
  EXPECT_EQ(generated.find('-'), 15u) << "a UUID: " << generated;
  EXPECT_EQ(BodyFromTenant(server, "a", "/batch?wf=SLEEPER&id=b"), R"(["b-1","b-2","b-3"])");
  for (const char* id : {"b-1", "b-2", "b-3", "dup"}) {
    EXPECT_EQ(WaitForStatus(server, "SLEEPER", id, "complete"), R"({"status":"complete","output":"woke"})") << id;
  }
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
