// The streams snapshot (runtime_snapshot.h) and the bundle scan that chooses it
// (streams_context.h): a tenant on it has streams without a module load, with the same classes,
// attributes and per-request isolation as a tenant that loads them lazily.
#include "bindings/streams_context.h"

#include <gtest/gtest.h>
#include <v8-profiler.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "bindings/lazy_modules.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/testing_heap.h"
#include "bindings/worker.h"

namespace atl::bindings {
namespace {

namespace fs = std::filesystem;

class AnswerHost : public WorkerHost {
 public:
  std::map<uint64_t, std::string> bodies, errors;
  void OnResponse(uint64_t id, const ResponseView& r) override { bodies[id] = std::string(r.body); }
  void OnScriptError(uint64_t id, std::string_view message) override { errors[id] = message; }
  void SetTimer(uint64_t, double, bool) override {}
  void ClearTimer(uint64_t) override {}
  void OnKilled(isolates::LimitKind) override {}
};

class StreamsSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atoll-streams-snapshot-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  absl::StatusOr<std::unique_ptr<Worker>> Start(const std::string& source, bool streams, WorkerOptions options = {}) {
    options.script_path = Write("worker" + std::to_string(++scripts_) + ".js", source);
    options.limits.cpu_ms = 5000;
    auto blueprint = RuntimeBlueprint(128, streams);
    if (!blueprint.ok()) return blueprint.status();
    return Worker::Create(options, isolates::TenantIsolate::Create(*blueprint), &host_, &cache_, nullptr);
  }

  // The body of request `id` to `worker` (a GET of `url`, or a POST of `body`).
  std::string Ask(Worker& worker, uint64_t id, std::string_view url = "http://h/", std::string_view body = {}) {
    RequestView request{.method = body.empty() ? "GET" : "POST", .url = url, .body = body, .has_body = !body.empty()};
    worker.Dispatch(id, request);
    return host_.errors.count(id) ? "error: " + host_.errors[id] : host_.bodies[id];
  }

  fs::path dir_;
  int scripts_ = 0;
  AnswerHost host_;
  cache::CodeCache cache_;
};

TEST(StreamsContextScan, TokensHitAndMiss) {
  EXPECT_TRUE(NamesStreams("const r = new ReadableStream();"));
  EXPECT_TRUE(NamesStreams("x.pipeThrough(t)"));
  EXPECT_TRUE(NamesStreams("import { Readable } from 'node:stream/web';"));
  EXPECT_TRUE(NamesStreams("return new Response(upstream.body, upstream)"));
  EXPECT_TRUE(NamesStreams("const b = request.body"));
  EXPECT_TRUE(NamesStreams("new CompressionStream('gzip')"));
  EXPECT_TRUE(NamesStreams("env.KV.get(key, \"stream\")"));
  EXPECT_FALSE(NamesStreams("export default { fetch(request) { return new Response(request.bodyUsed + 'hi'); } };"));
  EXPECT_FALSE(NamesStreams("const u = new URL(request.url); const s = JSON.stringify({ a: 1 });"));
  EXPECT_FALSE(NamesStreams(""));
  // Every token hits on its own.
  for (std::string_view token : StreamsContextTokens()) EXPECT_TRUE(NamesStreams(token)) << token;
}

TEST_F(StreamsSnapshotTest, ScanFollowsRelativeImportsOnly) {
  // The main script imports a module (in a subfolder) that imports one that makes a stream.
  fs::path main = Write("a/worker.js", "import { f } from './lib/f.js';\nexport default { fetch() { return f(); } };");
  Write("a/lib/f.js", "export { g as f } from \"../deep/g.mjs\";");
  Write("a/deep/g.mjs", "export function g() { return new Response(new TransformStream().readable); }");
  EXPECT_TRUE(StreamsContextWanted(main));
  // A file of the folder the script does not import, and a Text module, do not count.
  fs::path plain = Write("b/worker.js", "import text from './page.html';\nexport default { fetch() { return new Response(text); } };");
  Write("b/page.html", "<script>new ReadableStream()</script>");
  Write("b/unused.js", "new ReadableStream()");
  EXPECT_FALSE(StreamsContextWanted(plain));
  // Never out of the script's folder (the loader refuses such an import; the scan reads nothing there).
  Write("outside.js", "new ReadableStream()");
  fs::path escaping = Write("d/worker.js", "import '../outside.js';\nexport default { fetch() { return new Response('x'); } };");
  EXPECT_FALSE(StreamsContextWanted(escaping));
  // A cycle ends.
  fs::path cycle = Write("c/worker.js", "import './x.js';\nexport default { fetch() { return new Response('x'); } };");
  Write("c/x.js", "import './worker.js';");
  EXPECT_FALSE(StreamsContextWanted(cycle));
  EXPECT_FALSE(StreamsContextWanted(dir_ / "missing.js"));
  // A changed bundle is scanned again (the main script's size and mtime are the key).
  Write("b/worker.js", "export default { fetch() { return new Response(new Response('x').body); } };");
  EXPECT_TRUE(StreamsContextWanted(plain));
  setenv("ATOLL_STREAMS_SNAPSHOT", "0", 1);
  EXPECT_FALSE(StreamsContextWanted(main)) << "ATOLL_STREAMS_SNAPSHOT=0 turns the streams snapshot off";
  unsetenv("ATOLL_STREAMS_SNAPSHOT");
}

constexpr const char* kPipe = R"(
  export default {
    async fetch(request) {
      const t = new TransformStream({ transform(c, k) { k.enqueue(c.toUpperCase()); } });
      const rs = new ReadableStream({ start(c) { c.enqueue("ok"); c.close(); } });
      const r = rs.pipeThrough(t).getReader();
      return new Response((await r.read()).value);
    }
  };)";

TEST_F(StreamsSnapshotTest, StreamsSnapshotHasStreamsWithoutALoad) {
  auto preloaded = Start(kPipe, /*streams=*/true);
  ASSERT_TRUE(preloaded.ok()) << preloaded.status();
  EXPECT_TRUE((*preloaded)->streams_snapshot());
  int before = LazyModuleLoadsForTesting();
  EXPECT_EQ(Ask(**preloaded, 1), "OK");
  EXPECT_EQ(LazyModuleLoadsForTesting(), before) << "the streams snapshot loaded a module for a pipe";

  auto lazy = Start(kPipe, /*streams=*/false);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  EXPECT_FALSE((*lazy)->streams_snapshot());
  before = LazyModuleLoadsForTesting();
  EXPECT_EQ(Ask(**lazy, 2), "OK");
  EXPECT_EQ(LazyModuleLoadsForTesting(), before + 3) << "streams, safe_calls and dom_exception, loaded lazily";
}

// The streams snapshot holds bytecode only for what its builder's exercise ran (runtime_snapshot.cc
// kStreamsExercise, compiled under a LazyCompileScope), not for the whole module as a first lazy
// load compiles it: that bytecode is deserialized into every streams tenant's isolate. A function
// the exercise did not run (a BYOB read) still works on it, compiled when first called.
TEST_F(StreamsSnapshotTest, StreamsSnapshotCarriesBytecodeOnlyForWhatItsExerciseRan) {
  const char* script = R"(
    export default {
      async fetch(request) {
        const byob = request.url.endsWith("/byob");
        const rs = new ReadableStream({ type: "bytes", pull(c) { c.enqueue(new Uint8Array([7])); c.close(); } });
        const reader = byob ? rs.getReader({ mode: "byob" }) : rs.getReader();
        const { value } = byob ? await reader.read(new Uint8Array(4)) : await reader.read();
        return new Response(String(value[0]));
      }
    };)";
  auto plain = Start(script, /*streams=*/false);
  auto preloaded = Start(script, /*streams=*/true);
  ASSERT_TRUE(plain.ok() && preloaded.ok());
  size_t plain_before = BytecodeBytes((*plain)->isolate());
  EXPECT_EQ(Ask(**plain, 1), "7");  // loads streams, compiled eagerly (or from the eager code cache)
  size_t whole_module = BytecodeBytes((*plain)->isolate()) - plain_before;
  size_t in_snapshot = BytecodeBytes((*preloaded)->isolate()) - plain_before;
  EXPECT_LT(in_snapshot, whole_module * 3 / 4)
      << "the streams snapshot carries " << in_snapshot << " bytes of bytecode, the whole module " << whole_module;
  EXPECT_EQ(Ask(**preloaded, 2), "7");  // compiles the handler's own functions
  size_t before_byob = BytecodeBytes((*preloaded)->isolate());
  EXPECT_EQ(Ask(**preloaded, 3, "http://h/byob"), "7");
  EXPECT_GT(BytecodeBytes((*preloaded)->isolate()), before_byob) << "a BYOB read compiled nothing: it was in the snapshot";
}

// What a script can see of the classes is the same on both snapshots: the glue's bodies, the
// lazy modules loaded later and the globals are one set of classes; the globals' attributes are
// the lazy path's (writable, configurable, not enumerable).
TEST_F(StreamsSnapshotTest, SameClassesAndAttributesOnBothSnapshots) {
  const char* script = R"(
    export default {
      async fetch(request) {
        const out = [];
        const d = Object.getOwnPropertyDescriptor(globalThis, "ReadableStream");
        out.push([d.writable, d.enumerable, d.configurable, typeof d.value].join());
        out.push(Object.keys(globalThis).filter((k) => /Stream|Queuing/.test(k)).length);
        out.push(request.body instanceof ReadableStream, request.body.getReader() instanceof ReadableStreamDefaultReader);
        const made = new Response("x").body;
        out.push(made instanceof ReadableStream, Object.getPrototypeOf(made) === ReadableStream.prototype);
        const ts = new TextEncoderStream();
        out.push(ts.readable instanceof ReadableStream, ts.writable instanceof WritableStream);
        const gz = new CompressionStream("gzip");
        out.push(gz.readable instanceof ReadableStream);
        const [a, b] = new Response("tee").body.tee();
        out.push(new TextDecoder().decode((await a.getReader().read()).value), b instanceof ReadableStream);
        out.push(await new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } })).text());
        out.push(ReadableStream.name, WritableStream.length, String(new CountQueuingStrategy({ highWaterMark: 2 }).size()));
        out.push(typeof ReadableStreamBYOBReader, typeof ByteLengthQueuingStrategy, typeof TransformStreamDefaultController);
        return new Response(out.join(" "));
      }
    };)";
  auto preloaded = Start(script, true);
  auto lazy = Start(script, false);
  ASSERT_TRUE(preloaded.ok() && lazy.ok());
  std::string want = "true,false,true,function 0 true true true true true true true tee true hi ReadableStream 0 1 "
                     "function function function";
  EXPECT_EQ(Ask(**preloaded, 1, "http://h/", "posted"), want);
  EXPECT_EQ(Ask(**lazy, 2, "http://h/", "posted"), want);
}

// The preloaded modules' sources in the streams snapshot are external strings pointing at the
// binary (lazy_modules.cc SharedSource), not ~110 KB of text copied into each isolate.
TEST_F(StreamsSnapshotTest, PreloadedModuleSourcesAreNotCopiedIntoTheIsolate) {
  auto worker = Start(kPipe, true);
  ASSERT_TRUE(worker.ok()) << worker.status();
  EXPECT_EQ(Ask(**worker, 1), "OK");
  v8::Isolate* isolate = (*worker)->isolate();
  v8::Isolate::Scope scope(isolate);
  v8::HandleScope handles(isolate);
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  size_t largest = 0;
  for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
    const v8::HeapGraphNode* node = snapshot->GetNode(i);
    if (node->GetType() == v8::HeapGraphNode::kString) largest = std::max(largest, node->GetShallowSize());
  }
  EXPECT_LT(largest, 8192u) << "a module source copied into the heap";
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
}

// A tenant the scan misses (a computed name) still gets streams, loaded on first use.
TEST_F(StreamsSnapshotTest, AMissLoadsLazily) {
  const char* script = R"(
    const name = ["Readable", "Stream"].join("");
    export default {
      async fetch() {
        const C = globalThis[name];
        return new Response(await new Response(new C({ start(c) { c.enqueue(new Uint8Array([33])); c.close(); } })).text());
      }
    };)";
  Write("miss/worker.js", script);
  EXPECT_FALSE(StreamsContextWanted(dir_ / "miss/worker.js"));
  auto lazy = Start(script, false);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  int before = LazyModuleLoadsForTesting();
  EXPECT_EQ(Ask(**lazy, 1), "!");
  EXPECT_GT(LazyModuleLoadsForTesting(), before);
}

// per_request and per_request_hardened on the streams snapshot: every request a fresh (or reset)
// context with streams in it, and nothing a request writes on the streams classes reaches the
// next (as on the runtime snapshot).
TEST_F(StreamsSnapshotTest, PerRequestModesKeepTheirIsolation) {
  const char* script = R"(
    let count = 0;
    export default {
      async fetch(request) {
        const before = [count++, typeof ReadableStream.prototype.leak, typeof globalThis.leaked].join();
        try { ReadableStream.prototype.leak = 1; } catch (e) {}
        try { globalThis.leaked = 1; } catch (e) {}
        const r = new ReadableStream({ start(c) { c.enqueue("v"); c.close(); } }).getReader();
        return new Response(before + " " + (await r.read()).value);
      }
    };)";
  for (bool reuse : {false, true}) {
    for (bool streams : {true, false}) {
      WorkerOptions options;
      options.per_request_context = true;
      options.reuse_contexts = reuse;
      auto worker = Start(script, streams, options);
      ASSERT_TRUE(worker.ok()) << worker.status();
      for (uint64_t id = 1; id <= 3; ++id) {
        uint64_t key = id + (reuse ? 100 : 0) + (streams ? 10 : 0);
        EXPECT_EQ(Ask(**worker, key), "0,undefined,undefined v")
            << "request " << id << (reuse ? " hardened" : " per_request") << (streams ? " streams snapshot" : "");
      }
    }
  }
}

}  // namespace
}  // namespace atl::bindings
