#include "bindings/worker.h"

#include "bindings/lazy_modules.h"
#include "kv/kv_backend.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/testing_heap.h"
#include "cache/startup_snapshot.h"
#include "isolates/platform.h"

#include <gtest/gtest.h>
#include <v8-profiler.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace atl::bindings {
namespace {

namespace fs = std::filesystem;

// Records what a Worker hands back; timers are fired by the test itself.
class FakeHost : public WorkerHost {
 public:
  struct Answer {
    int status = 0;
    std::string status_text, body, error;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::map<uint64_t, Answer> answers;
  std::map<uint64_t, double> timers;
  std::vector<isolates::LimitKind> kills;

  void OnResponse(uint64_t id, const ResponseView& r) override {
    Answer& a = answers[id];
    a.status = r.status;
    a.status_text = r.status_text;
    a.body = r.body;
    for (auto& [n, v] : r.headers) a.headers.emplace_back(n, v);
  }
  void OnScriptError(uint64_t id, std::string_view message) override { answers[id].error = message; }
  void SetTimer(uint64_t key, double ms, bool) override { timers[key] = ms; }
  void ClearTimer(uint64_t key) override { timers.erase(key); }
  void OnKilled(isolates::LimitKind why) override { kills.push_back(why); }
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atoll-worker-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  absl::StatusOr<std::unique_ptr<Worker>> Start(const std::string& source, WorkerOptions options = {}) {
    std::ofstream(dir_ / "worker.js") << source;
    options.script_path = dir_ / "worker.js";
    auto blueprint = RuntimeBlueprint(128);
    if (!blueprint.ok()) return blueprint.status();
    return Worker::Create(options, isolates::TenantIsolate::Create(*blueprint), &host_, &cache_, &watchdog_);
  }

  static RequestView Get(std::string_view url, std::span<const HeaderView> headers = {}) {
    return RequestView{.method = "GET", .url = url, .headers = headers};
  }

  fs::path dir_;
  FakeHost host_;
  cache::CodeCache cache_;
  isolates::CpuWatchdog watchdog_;
};

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

// URL, the encoding API and navigator are in the snapshot (runtime_snapshot.h): their first use
// loads no module, and they are the same classes with the lazy path's attributes.
TEST_F(WorkerTest, UrlEncodingAndNavigatorAreInTheSnapshotAndLoadNoModule) {
  auto worker = Start(R"(
    export default {
      fetch(request) {
        const d = Object.getOwnPropertyDescriptor(globalThis, "URL");
        const e = Object.getOwnPropertyDescriptor(globalThis, "TextEncoder");
        const n = Object.getOwnPropertyDescriptor(globalThis, "navigator");
        if (request.url.endsWith("/navigator")) {
          return new Response([n.writable, n.enumerable, n.configurable, navigator.userAgent,
                               navigator instanceof Navigator, Object.prototype.toString.call(navigator)].join(" "));
        }
        const url = new URL("../b?q=1", request.url);
        const bytes = new TextEncoder().encode(url.pathname);
        return new Response([d.writable, d.enumerable, d.configurable, e.writable, e.enumerable, e.configurable,
                             url.href, url.searchParams.get("q"), new URLSearchParams("a=1").get("a"), URL.name,
                             bytes.length, new TextDecoder().decode(bytes), atob(btoa("x"))].join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/a/c"));
  EXPECT_EQ(host_.answers[1].body, "true false true true false true http://h/b?q=1 1 1 URL 2 /b x")
      << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads) << "URL or the encoding API loaded a module";
  (*worker)->Dispatch(2, Get("http://h/navigator"));
  EXPECT_EQ(host_.answers[2].body, "true false true Cloudflare-Workers true [object Navigator]") << host_.answers[2].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads) << "navigator loaded a module (it loaded scope and dom_exception)";
}

TEST_F(WorkerTest, Utf8EncodingAndDOMExceptionLoadNoSafeCallsAndOtherEncodingsLoadTheirModule) {
  auto worker = Start(R"(
    export default {
      fetch(request) {
        const bytes = new TextEncoder().encode("h\u00e9");
        let thrown;
        try { atob("*"); } catch (e) { thrown = e; }
        const parts = [new TextDecoder("UTF8 ").decode(bytes), bytes.length, thrown.name, thrown.code,
                       thrown instanceof DOMException, DOMException.name];
        if (request.url.endsWith("/utf16")) {
          parts.push(new TextDecoder("utf-16le").decode(new Uint8Array([104, 0, 105, 0])));
          parts.push(new TextDecoder("latin1").encoding);
        }
        return new Response(parts.join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  // Loads, not compiles: a module another test compiled first is still loaded into this isolate.
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "h\u00e9 3 InvalidCharacterError 5 true DOMException") << host_.answers[1].error;
  // "encoding" is in the snapshot; "dom_exception" is written against internal.primordials: it
  // loads no "safe_calls", and UTF-8 needs no "encoding_legacy" (issue 18).
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 1) << "dom_exception, and nothing else";
  (*worker)->Dispatch(2, Get("http://h/utf16"));
  EXPECT_EQ(host_.answers[2].body, "h\u00e9 3 InvalidCharacterError 5 true DOMException hi windows-1252")
      << host_.answers[2].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 3) << "then encoding_legacy and what it loads";
}

TEST_F(WorkerTest, LazyBuiltInLoadsOnFirstUseAndCompilesOncePerProcess) {
  const char* script = R"(
    const before = Object.getOwnPropertyDescriptor(globalThis, "URLPattern");
    export default {
      fetch(request) {
        const match = new URLPattern({ pathname: "/:first/*" }).exec(request.url);
        return new Response(match.pathname.groups.first + " " + (typeof before.value));
      }
    };)";
  int loads = LazyModuleLoadsForTesting();
  auto first = Start(script);  // its top level reads the global's descriptor: that loads it
  ASSERT_TRUE(first.ok()) << first.status();
  (*first)->Dispatch(1, Get("http://h/a/c"));
  EXPECT_EQ(host_.answers[1].body, "a function") << host_.answers[1].error;
  EXPECT_GT(LazyModuleLoadsForTesting(), loads) << "urlpattern was not loaded by its first use";
  int compiles = LazyModuleCompilesForTesting();  // the process's, whichever tests ran before
  auto second = Start(script);  // another isolate: the module's code cache is reused
  ASSERT_TRUE(second.ok()) << second.status();
  (*second)->Dispatch(2, Get("http://h/x/y"));
  EXPECT_EQ(host_.answers[2].body, "x function") << host_.answers[2].error;
  EXPECT_EQ(LazyModuleCompilesForTesting(), compiles) << "another isolate compiled the module again";
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

TEST(RuntimeSnapshot, RunsWithTheSeedItWasMadeWith) {
  uint64_t seed = cache::StartupSnapshotHashSeed(cache::EmbeddedStartupSnapshot());
  EXPECT_NE(seed, 0u);
  EXPECT_LE(seed, uint64_t{INT64_MAX}) << "V8's flag parser refuses larger seeds";
  std::string flags = isolates::V8Flags();
  EXPECT_NE(flags.find("--no-rehash-snapshot"), std::string::npos) << flags;
  EXPECT_NE(flags.find("--hash-seed=" + std::to_string(cache::StartupSnapshotHashSeed(cache::EmbeddedStartupSnapshot()))),
            std::string::npos) << flags;
}

// The glue files' sources are one copy per process (external strings the snapshot refers to),
// not a copy in every tenant's heap: the scripts' source strings in a tenant isolate are external
// (a few dozen bytes of heap each) and still read as the glue's text.
TEST_F(WorkerTest, GlueSourcesAreSharedByEveryIsolateNotCopiedIntoIt) {
  auto worker = Start(R"(
    export default { fetch() { return new Response(String(Headers).slice(0, 13)); } };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "class Headers");
  v8::Isolate* isolate = (*worker)->isolate();
  v8::Isolate::Scope scope(isolate);
  v8::HandleScope handles(isolate);
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  int sources = 0;
  for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
    const v8::HeapGraphNode* node = snapshot->GetNode(i);
    if (node->GetType() != v8::HeapGraphNode::kString) continue;
    v8::String::Utf8Value name(isolate, node->GetName());
    if (std::string_view(*name, name.length()).substr(0, 30) != "(function (native, internal) {") continue;
    ++sources;
    EXPECT_LT(node->GetShallowSize(), 256u) << "a glue source copied into the heap: " << node->GetShallowSize() << " bytes";
  }
  EXPECT_GE(sources, 5);
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
}

// The snapshot's warm-up request (runtime_snapshot.cc WarmUp) ran the Headers and Response
// methods most handlers use, so their bytecode is in every isolate: a tenant's first call of
// them compiles nothing (V8 would otherwise compile each on the tenant's first request).
TEST_F(WorkerTest, TheSnapshotHasBytecodeForTheCommonHeadersAndResponseMethods) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        if (request.url.endsWith("/first")) return new Response("compiles this function");
        const headers = new Headers(request.headers);
        headers.append("x-a", "1");
        headers.set("x-b", "2");
        let n = headers.has("x-a") ? 1 : 0;
        for (const [name, value] of headers) n += name.length + value.length;
        headers.delete("x-a");
        const parsed = await Response.json({ n }).json();
        return new Response(String(parsed.n) + headers.get("x-b"), { headers: { "content-type": "text/plain" } });
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  std::vector<HeaderView> headers = {{"host", "h"}};
  (*worker)->Dispatch(1, Get("http://h/first", headers));
  EXPECT_EQ(host_.answers[1].body, "compiles this function");
  size_t before = BytecodeBytes((*worker)->isolate());
  (*worker)->Dispatch(2, Get("http://h/then", headers));
  EXPECT_EQ(host_.answers[2].body, "142");
  EXPECT_EQ(BytecodeBytes((*worker)->isolate()), before) << "a Headers or Response method was compiled on the request";
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

// The hello-world path and small bodies never load the streams module (lazy_modules.h): it is
// compiled the first time a body is used as a stream.
TEST_F(WorkerTest, BodiesLoadStreamsOnlyWhenUsedAsStreams) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        if (request.url.endsWith("/stream")) return new Response(new Response("s").body);
        const text = request.method === "POST" ? await request.text() : "";
        return new Response("hello " + text, { headers: { "content-type": "text/plain" } });
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int before = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  RequestView post{.method = "POST", .url = "http://h/", .body = "body", .has_body = true};
  (*worker)->Dispatch(2, post);
  EXPECT_EQ(host_.answers[1].body, "hello ");
  EXPECT_EQ(host_.answers[2].body, "hello body");
  EXPECT_EQ(LazyModuleLoadsForTesting(), before) << "a plain request loaded a lazy module";
  (*worker)->Dispatch(3, Get("http://h/stream"));  // FakeHost takes no streamed response
  EXPECT_GT(LazyModuleLoadsForTesting(), before) << "streams (and dom_exception, which it uses) load on first use";
}

// The ES2023+ placeholders (es_builtins.h): enumerating, `in` checks and the other built-ins leave
// core-js unloaded; the first read of one loads it once, and the value is the real method.
TEST_F(WorkerTest, EsBuiltInsLoadOnFirstReadOnly) {
  auto worker = Start(R"(
    export default {
      fetch(request) {
        if (request.url.endsWith("/use")) {
          const sorted = [3, 1, 2].toSorted();
          const same = Array.prototype.toSorted === [].toSorted;
          return new Response(sorted.join() + " " + same + " " + typeof Promise.withResolvers().resolve);
        }
        const seen = [];
        for (const key in []) seen.push(key);
        return new Response(seen.length + " " + ("toSorted" in []) + " " + Object.keys(Set.prototype).length + " " +
                            JSON.stringify([1, new Set([2]).has(2)]));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int before = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "0 true 0 [1,true]") << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), before) << "core-js loaded without a read of a placeholder";
  (*worker)->Dispatch(2, Get("http://h/use"));
  EXPECT_EQ(host_.answers[2].body, "1,2,3 true function") << host_.answers[2].error;
  // es_builtins, and the modules behind the globals core-js probes as it loads (navigator,
  // structuredClone, ...).
  int loaded = LazyModuleLoadsForTesting();
  EXPECT_GT(loaded, before);
  (*worker)->Dispatch(3, Get("http://h/use"));
  EXPECT_EQ(host_.answers[3].body, "1,2,3 true function") << host_.answers[3].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loaded) << "loaded once";
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

// console.log of strings only (a message: hono's logger, most handlers' logging), the first
// without a '%', needs no formatter: the "inspect" module (25 KB) is loaded by the first call
// that formats something.
TEST_F(WorkerTest, ConsoleLogOfPlainStringsLoadsNoFormatter) {
  auto worker = Start(R"(
    export default {
      fetch(request) {
        console.log("<-- GET", "/runtime");
        console.log("a message");
        console.log();
        if (request.url.endsWith("/format")) console.log("%s items", 3);
        if (request.url.endsWith("/object")) console.log("state", { a: 1 });
        return new Response("ok");
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "ok") << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads) << "a console.log of strings loaded a module";
  (*worker)->Dispatch(2, Get("http://h/format"));
  EXPECT_GT(LazyModuleLoadsForTesting(), loads) << "a %-format loads the formatter";
  auto other = Start(R"(
    export default { fetch() { console.log("state", { a: 1 }); return new Response("ok"); } };)");
  ASSERT_TRUE(other.ok()) << other.status();
  loads = LazyModuleLoadsForTesting();
  (*other)->Dispatch(3, Get("http://h/object"));
  EXPECT_GT(LazyModuleLoadsForTesting(), loads) << "an object is formatted by the formatter";
}

// What libraries check at their top level (`crypto.subtle`, as hono/cache does) and what handlers
// call most (crypto.randomUUID()) load the small "crypto" module only; the first SubtleCrypto
// method call loads the operations (crypto_subtle, with safe_calls and dom_exception).
TEST_F(WorkerTest, CryptoProbesAndRandomUuidLoadOneSmallModule) {
  auto worker = Start(R"(
    const probed = typeof globalThis.crypto?.subtle;
    export default {
      async fetch(request) {
        if (request.url.endsWith("/digest")) {
          const d = await crypto.subtle.digest("SHA-256", new Uint8Array([1]));
          return new Response(String(d.byteLength) + " " + (CryptoKey.name));
        }
        return new Response([probed, crypto.randomUUID().length, crypto.getRandomValues(new Uint8Array(4)).length,
                             crypto.subtle instanceof SubtleCrypto].join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "object 36 4 true") << host_.answers[1].error;
  // The top level's probe ran at Start(): the request loaded nothing more.
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads);
  auto fresh = Start(R"(
    export default { fetch() { return new Response(String(typeof crypto.subtle) + " " + crypto.randomUUID().length); } };)");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  loads = LazyModuleLoadsForTesting();
  (*fresh)->Dispatch(2, Get("http://h/"));
  EXPECT_EQ(host_.answers[2].body, "object 36") << host_.answers[2].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 1) << "crypto alone";
  (*worker)->Dispatch(3, Get("http://h/digest"));
  for (int i = 0; i < 10 && host_.answers[3].body.empty() && host_.answers[3].error.empty(); ++i) (*worker)->RunPlatformTasks();
  EXPECT_EQ(host_.answers[3].body, "32 CryptoKey") << host_.answers[3].error;
}

// `typeof caches` (hono/cache's check at its top level) loads the small "cache" module only; the
// first match, put or delete loads the operations (cache_operations, with safe_calls: the server's
// tests, tests/cache_api_test.cc, run them).
TEST_F(WorkerTest, ACachesProbeLoadsOneSmallModule) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        return new Response([typeof globalThis.caches, Object.prototype.toString.call(caches.default),
                             caches instanceof CacheStorage, caches.default instanceof Cache].join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "object [object Cache] true true") << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 1) << "cache alone";
}

// performance.now() and structuredClone() load the "scope" module alone: it is written against
// internal.primordials (no safe-calls runtime) and loads dom_exception only to throw one.
TEST_F(WorkerTest, PerformanceAndStructuredCloneLoadOneModule) {
  auto worker = Start(R"(
    export default {
      fetch() {
        return new Response([performance.now() >= 0, structuredClone({ a: [1] }).a[0], performance.mark("m").name,
                             performance.getEntriesByType("mark").length].join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "true 1 m 1") << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 1) << "scope alone";
}

// new AbortController() (fetch with a timeout, most stream code) loads the "events" module alone:
// written against internal.primordials, no safe-calls runtime; dom_exception is loaded by the
// first abort, to make the AbortError.
TEST_F(WorkerTest, AnAbortControllerLoadsOneModuleAndItsAbortTheDomException) {
  auto worker = Start(R"(
    export default {
      fetch(request) {
        const controller = new AbortController();
        const seen = [];
        controller.signal.addEventListener("abort", (e) => seen.push(e.type));
        if (request.url.endsWith("/abort")) controller.abort();
        const any = AbortSignal.any([controller.signal]);
        return new Response([AbortSignal.name, controller.signal.aborted, any.aborted, seen.join(),
                             controller.signal.reason?.name].join(" "));
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  int loads = LazyModuleLoadsForTesting();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "AbortSignal false false  ") << host_.answers[1].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 1) << "events alone";
  (*worker)->Dispatch(2, Get("http://h/abort"));
  EXPECT_EQ(host_.answers[2].body, "AbortSignal true true abort AbortError") << host_.answers[2].error;
  EXPECT_EQ(LazyModuleLoadsForTesting(), loads + 2) << "then dom_exception";
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
