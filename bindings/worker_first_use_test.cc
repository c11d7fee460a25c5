// What a tenant's first use of a built-in costs it: the snapshot already holds it (with its
// bytecode, runtime_snapshot.h), or its lazy module is loaded once, on first use, from a code
// cache the process compiled once (lazy_modules.h). Module loads are counted around each request,
// so the tests pass in any order.
#include "bindings/lazy_modules.h"
#include "bindings/testing_heap.h"
#include "bindings/worker_test_fixture.h"
#include "cache/startup_snapshot.h"
#include "isolates/platform.h"

#include <gtest/gtest.h>
#include <v8-profiler.h>

#include <cstdint>
#include <string>

namespace atl::bindings {
namespace {

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

}  // namespace
}  // namespace atl::bindings
