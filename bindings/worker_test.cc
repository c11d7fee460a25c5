// The Worker's behaviour with a tenant script: handlers, errors, timers, limits, contexts, KV.
// What first uses of the built-ins load is in worker_first_use_test.cc.
#include "bindings/worker.h"

#include "bindings/worker_test_fixture.h"
#include "kv/kv_backend.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace atl::bindings {
namespace {

TEST_F(WorkerTest, ModuleHandlerSeesRequestAndAnswers) {
  auto worker = Start(R"(
    export default {
      fetch(request, env, ctx) {
        return new Response(request.method + " " + request.url + " " + request.headers.get("x-a"),
                            { status: 201, headers: { "x-b": "2" } });
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  HeaderView headers[] = {{"x-a", "1"}};
  (*worker)->Dispatch(7, Get("http://h/p?q", headers));
  ASSERT_EQ(host_.answers.count(7), 1u);
  const auto& a = host_.answers[7];
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(a.body, "GET http://h/p?q 1");
  EXPECT_NE(std::find(a.headers.begin(), a.headers.end(), std::pair<std::string, std::string>{"x-b", "2"}),
            a.headers.end());
}

TEST_F(WorkerTest, WebAssemblyIsBuiltOnFirstReadAndIsFreshInEveryRequestContext) {
  // Per request: each request's context starts with the snapshot's accessor (bindings/wasm_global.h).
  WorkerOptions options;
  options.per_request_context = true;
  auto worker = Start(R"(
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);  // an empty module
    export default {
      fetch(request) {
        const before = Object.getOwnPropertyDescriptor(globalThis, "WebAssembly");
        if (request.url.endsWith("/assign")) {
          WebAssembly = 7;  // before any read: replaces the global, nothing is built
          return new Response(String(WebAssembly));
        }
        const after = Object.getOwnPropertyDescriptor(globalThis, "WebAssembly");
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
        const had = "marker" in WebAssembly;
        WebAssembly.marker = 1;
        return new Response([typeof before.value, before.writable, before.enumerable, before.configurable,
                             after.value === before.value, String(WebAssembly), WebAssembly.validate(bytes),
                             instance instanceof WebAssembly.Instance, Object.keys(globalThis).includes("WebAssembly"), had]
                                .join(" "));
      }
    };)", options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/read"));
  EXPECT_EQ(host_.answers[1].body, "object true false true true [object WebAssembly] true true false false")
      << host_.answers[1].error;
  (*worker)->Dispatch(2, Get("http://h/assign"));
  EXPECT_EQ(host_.answers[2].body, "7") << host_.answers[2].error;
  (*worker)->Dispatch(3, Get("http://h/read"));  // neither the marker nor the 7 survived
  EXPECT_EQ(host_.answers[3].body, host_.answers[1].body) << host_.answers[3].error;
}

TEST_F(WorkerTest, ServiceWorkerScriptAnswers) {
  auto worker = Start(R"(addEventListener("fetch", (e) => e.respondWith(new Response("sw"))))");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "sw");
}

TEST_F(WorkerTest, ThrowAndRejectAndWrongTypeAreScriptErrors) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        const path = "/" + request.url.split("/").pop();
        if (path === "/throw") throw new Error("kaboom");
        if (path === "/reject") return Promise.reject(new TypeError("nope"));
        return "not a response";
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/throw"));
  (*worker)->Dispatch(2, Get("http://h/reject"));
  (*worker)->Dispatch(3, Get("http://h/other"));
  EXPECT_NE(host_.answers[1].error.find("kaboom"), std::string::npos) << host_.answers[1].error;
  EXPECT_NE(host_.answers[2].error.find("nope"), std::string::npos);
  EXPECT_NE(host_.answers[3].error, "");
  EXPECT_EQ(host_.answers[3].status, 0);
}

TEST_F(WorkerTest, TimerResolvesLater) {
  auto worker = Start(R"(
    export default {
      async fetch() {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return new Response("late");
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers.count(1), 0u);
  ASSERT_EQ(host_.timers.size(), 1u);
  auto [timer_id, ms] = *host_.timers.begin();
  EXPECT_EQ(ms, 25);
  (*worker)->FireTimer(timer_id);
  EXPECT_EQ(host_.answers[1].body, "late");
}

TEST_F(WorkerTest, ScriptWithoutHandlerFailsToLoad) {
  auto worker = Start("export default { notFetch() {} };");
  ASSERT_FALSE(worker.ok());
  EXPECT_NE(worker.status().message().find("worker.js"), std::string_view::npos) << worker.status();
}

TEST_F(WorkerTest, RequestBodyReachesHandler) {
  auto worker = Start(R"(
    export default { async fetch(request) { const j = await request.json(); return Response.json({ got: j.n + 1 }); } };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, RequestView{.method = "POST", .url = "http://h/", .body = R"({"n":41})", .has_body = true});
  EXPECT_EQ(host_.answers[1].body, R"({"got":42})");
}

TEST_F(WorkerTest, SharedContextKeepsModuleStatePerRequestDoesNot) {
  const char* counter = "let n = 0; export default { fetch() { n++; return new Response(String(n)); } };";
  auto shared = Start(counter);
  ASSERT_TRUE(shared.ok()) << shared.status();
  for (uint64_t id = 1; id <= 3; ++id) (*shared)->Dispatch(id, Get("http://h/"));
  EXPECT_EQ(host_.answers[3].body, "3");

  WorkerOptions per_request;
  per_request.per_request_context = true;
  auto fresh = Start(counter, per_request);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  for (uint64_t id = 11; id <= 15; ++id) {
    (*fresh)->Dispatch(id, Get("http://h/"));
    if ((*fresh)->NeedsContexts()) {
      ASSERT_TRUE((*fresh)->PrepareContext().ok());
    }
  }
  for (uint64_t id = 11; id <= 15; ++id) EXPECT_EQ(host_.answers[id].body, "1") << id;
  EXPECT_GE((*fresh)->contexts_created(), 5u);
  EXPECT_EQ((*fresh)->context_take_latency().count(), 5u);
}

TEST_F(WorkerTest, PerRequestContextDropsItsTimers) {
  WorkerOptions per_request;
  per_request.per_request_context = true;
  auto worker = Start("export default { fetch() { setTimeout(() => {}, 60000); return new Response('x'); } };",
                      per_request);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "x");
  EXPECT_TRUE(host_.timers.empty()) << "the answered request's context is gone, with its timers";
}

TEST_F(WorkerTest, EndlessLoopIsKilledByTheCpuLimit) {
  WorkerOptions options;
  options.limits.cpu_ms = 20;
  auto worker = Start("export default { fetch() { while (true) {} } };", options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  ASSERT_EQ(host_.kills.size(), 1u);
  EXPECT_EQ(host_.kills[0], isolates::LimitKind::kCpu);
  EXPECT_EQ(host_.answers.count(1), 0u) << "the host answers a killed request, not the Worker";
  EXPECT_EQ((*worker)->InflightIds(), std::vector<uint64_t>{1});
}

TEST_F(WorkerTest, HeapAndArrayBufferBombsAreKilledByTheMemoryLimit) {
  WorkerOptions options;
  options.limits.memory_mb = 16;
  options.limits.cpu_ms = 10000;  // the memory limit must be what stops these
  auto heap = Start("export default { fetch() { const a = []; while (true) a.push({ x: [1, 2, 3] }); } };", options);
  ASSERT_TRUE(heap.ok()) << heap.status();
  (*heap)->Dispatch(1, Get("http://h/"));
  ASSERT_EQ(host_.kills.size(), 1u);
  EXPECT_EQ(host_.kills[0], isolates::LimitKind::kMemory);

  auto buffers = Start(R"(export default { fetch() {
      const keep = [];
      for (let i = 0; i < 512; i++) { try { keep.push(new Uint8Array(1 << 20)); } catch {} }
      return new Response(String(keep.length)); } };)", options);
  ASSERT_TRUE(buffers.ok()) << buffers.status();
  (*buffers)->Dispatch(2, Get("http://h/"));
  ASSERT_EQ(host_.kills.size(), 2u);
  EXPECT_EQ(host_.kills[1], isolates::LimitKind::kMemory);
  EXPECT_EQ(host_.answers.count(2), 0u);
}

TEST_F(WorkerTest, TopLevelThatRunsAwayFailsToLoad) {
  WorkerOptions options;
  options.limits.cpu_ms = 10;
  options.limits.startup_cpu_ms = 20;
  auto worker = Start("while (true) {}\nexport default { fetch() { return new Response('x'); } };", options);
  ASSERT_FALSE(worker.ok());
  EXPECT_NE(worker.status().message().find("limit"), std::string_view::npos) << worker.status();
  EXPECT_TRUE(host_.kills.empty()) << "Create() reports it; the host has nothing to clean up";
}

TEST_F(WorkerTest, SandboxRules) {
  WorkerOptions options;
  options.limits.cpu_ms = 5000;
  auto worker = Start(R"(export default { fetch() {
      const out = [];
      try { eval("1"); out.push("eval ran"); } catch (e) { out.push(e.name); }
      try { new Function("return 1"); out.push("Function ran"); } catch (e) { out.push(e.name); }
      out.push(typeof SharedArrayBuffer);
      try { Atomics.wait(new Int32Array(4), 0, 0, 0); out.push("wait ran"); } catch (e) { out.push(e.name); }
      const t0 = Date.now();
      let x = 0; for (let i = 0; i < 3e7; i++) x += i;  // tens of ms
      out.push(Date.now() === t0 && new Date().getTime() === t0 ? "frozen" : "moved");
      return new Response(out.join(" "));
    } };)", options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "EvalError EvalError undefined TypeError frozen") << host_.answers[1].error;
}

}  // namespace
}  // namespace atl::bindings

namespace atl::bindings {
namespace {

// A KV backend that answers when the test says (as PostgreSQL's answers come from the loop).
class LaterKv : public kv::KvBackend {
 public:
  std::vector<GetDone> gets;
  void Get(std::string_view, int64_t, uint32_t cache_ttl_s, GetDone done) override {
    last_cache_ttl = cache_ttl_s;
    gets.push_back(std::move(done));
  }
  void Put(std::string_view, std::string_view, int64_t, std::string_view, int64_t, WriteDone done) override {
    done(absl::OkStatus());  // at once, as a backend may
  }
  void Delete(std::string_view, WriteDone done) override { done(absl::UnavailableError("down")); }
  void List(std::string_view, uint32_t, std::string_view, int64_t, ListDone done) override {
    done(absl::UnimplementedError("list"));
  }
  uint32_t last_cache_ttl = 0;
};

TEST_F(WorkerTest, KvCallsAnsweredLaterSettleTheirPromiseInTheirContext) {
  auto kv = std::make_shared<LaterKv>();
  WorkerOptions options;
  options.env.push_back({config::EnvBinding{"kv", "STORE", "later"}, std::shared_ptr<kv::KvBackend>(kv)});
  auto worker = Start(R"(
    export default {
      async fetch(request, env) {
        const path = new URL(request.url).pathname;
        try {
          if (path === "/put") { await env.STORE.put("k", "v"); return new Response("put"); }
          if (path === "/delete") { await env.STORE.delete("k"); return new Response("deleted"); }
          const value = await env.STORE.get("k", { cacheTtl: 7 });
          return new Response("got " + value);
        } catch (e) {
          return new Response(e.message, { status: 503 });
        }
      }
    };)", options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/get"));
  (*worker)->Dispatch(2, Get("http://h/get"));
  ASSERT_EQ(kv->gets.size(), 2u);
  EXPECT_EQ(kv->last_cache_ttl, 7u);
  EXPECT_EQ(host_.answers.count(1), 0u) << "waits for the backend";
  // Answered out of order, each into its own request.
  kv->gets[1](absl::UnavailableError("PostgreSQL unavailable: refused"));
  EXPECT_EQ(host_.answers[2].status, 503);
  EXPECT_EQ(host_.answers[2].body, "KV get() failed: PostgreSQL unavailable: refused");
  kv::KvRow row{"later", "", 0};
  kv->gets[0](&row);
  EXPECT_EQ(host_.answers[1].body, "got later") << host_.answers[1].error;
  // Answered at once: the same JS.
  (*worker)->Dispatch(3, Get("http://h/put"));
  EXPECT_EQ(host_.answers[3].body, "put");
  (*worker)->Dispatch(4, Get("http://h/delete"));
  EXPECT_EQ(host_.answers[4].body, "KV delete() failed: down");
  // An answer for a Worker that is gone goes nowhere.
  (*worker)->Dispatch(5, Get("http://h/get"));
  ASSERT_EQ(kv->gets.size(), 3u);
  worker->reset();
  kv->gets[2](&row);
  EXPECT_EQ(host_.answers.count(5), 0u);
}

// A promise rejected before it has a handler is reported to the embedder at once; most get their
// handler before the run ends (an await of a rejected promise). Its reason is not read then (a
// stack formatted for each was ~1M instructions): only when it stays unhandled.
TEST_F(WorkerTest, ARejectionHandledWithinTheRunIsNotDescribed) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        let reads = 0;
        const reason = { get stack() { reads++; return "a stack"; } };
        const rejected = Promise.reject(reason);
        await null;
        await rejected.catch(() => {});
        return new Response(String(reads));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "0") << host_.answers[1].error;
}

}  // namespace
}  // namespace atl::bindings
