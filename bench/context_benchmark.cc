// What a fresh context costs (the floor of context = "per_request"): V8's bare snapshot, atoll's
// runtime snapshot, and a per_request context as the Worker prepares one (snapshot context +
// the tenant's module loaded from the code cache + its handler registered). Each iteration
// drops the context it made, so GC is included.
// Run: build/bench/context_benchmark   (ATOLL_SNAPSHOT_FILE=path: another snapshot file made with
// the same hash seed, e.g. build/bindings/snapshot.bin)
#include <benchmark/benchmark.h>
#include <v8-profiler.h>

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "bench/heap_snapshot_file.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/streams_context.h"
#include "bindings/wasm_modules.h"
#include "cache/startup_snapshot.h"
#include "bindings/worker.h"
#include "isolates/platform.h"
#include "isolates/tenant_isolate.h"

namespace atl::bindings {
namespace {

// The runtime's snapshot, or its streams one (bindings/runtime_snapshot.h).
isolates::IsolateBlueprint Blueprint(bool streams = false) {
  // Read once: an isolate keeps pointing into its blob, and a read per iteration was timed.
  static const char* path = std::getenv("ATOLL_SNAPSHOT_FILE");
  static const std::string* file = path ? new std::string(base::ReadFile(path).value_or("")) : nullptr;
  if (file != nullptr) {
    static v8::StartupData data[2] = {
        {cache::StartupSnapshotBlob(*file).data(), static_cast<int>(cache::StartupSnapshotBlob(*file).size())},
        {cache::StartupSnapshotStreamsBlob(*file).data(), static_cast<int>(cache::StartupSnapshotStreamsBlob(*file).size())}};
    return {&data[streams], ExternalReferences(), 128, streams};
  }
  return *RuntimeBlueprint(128, streams);
}

// V8 10.2 shares one read-only heap between the isolates alive at a time and frees it with the
// last one: a benchmark making and destroying one isolate at a time would deserialize it again
// for each (~20% of an isolate's instructions). The server always has isolates alive (the pool's
// spares, the tenants'), so the benchmarks that make isolates keep one of their own alive first.
void KeepReadOnlyHeapShared() {
  static std::unique_ptr<isolates::TenantIsolate> keeper = isolates::TenantIsolate::CreateUnbound(Blueprint());
}

void ContextLoop(benchmark::State& state, const isolates::IsolateBlueprint& blueprint) {
  auto isolate = isolates::TenantIsolate::Create(blueprint);
  v8::Isolate::Scope isolate_scope(isolate->isolate());
  for (auto _ : state) {
    v8::HandleScope handles(isolate->isolate());
    benchmark::DoNotOptimize(isolate->NewContext());
  }
}

void BM_BareV8Context(benchmark::State& state) {
  // V8's built-in snapshot was made for another hash seed than the one this binary fixes.
  if (isolates::HashSeedFixed()) return state.SkipWithError("V8's own snapshot needs a rehash this binary turns off");
  ContextLoop(state, isolates::IsolateBlueprint{});
}
void BM_RuntimeSnapshotContext(benchmark::State& state) { ContextLoop(state, Blueprint()); }
// The same from the streams snapshot: what a per_request tenant on it pays per request for its
// context (runtime_snapshot.h).
void BM_StreamsSnapshotContext(benchmark::State& state) { ContextLoop(state, Blueprint(true)); }

class NoHost : public WorkerHost {
 public:
  void OnResponse(uint64_t, const ResponseView&) override {}
  void OnScriptError(uint64_t, std::string_view) override {}
  void SetTimer(uint64_t, double, bool) override {}
  void ClearTimer(uint64_t) override {}
  void OnKilled(isolates::LimitKind) override {}
};

// A hello-world tenant on a fresh isolate; `isolate` gets its V8 isolate.
absl::StatusOr<std::unique_ptr<Worker>> HelloWorker(bool per_request, v8::Isolate** isolate = nullptr,
                                                    std::string_view handler_prefix = "") {
  static NoHost host;
  static cache::CodeCache code_cache;
  auto script = std::filesystem::temp_directory_path() / "atoll-context-benchmark.js";
  std::ofstream(script) << "export default { fetch(request) { " << handler_prefix << "return new Response('hi'); } };";
  WorkerOptions options;
  options.script_path = script;
  options.per_request_context = per_request;
  options.pool.warm_contexts = 1;
  auto tenant = isolates::TenantIsolate::Create(Blueprint());
  if (isolate != nullptr) *isolate = tenant->isolate();
  return Worker::Create(options, std::move(tenant), &host, &code_cache, nullptr);
}

void BM_PerRequestContextAndRequest(benchmark::State& state) {
  auto worker = HelloWorker(true);
  if (!worker.ok()) {
    state.SkipWithError(std::string(worker.status().message()).c_str());
    return;
  }
  uint64_t id = 0;
  for (auto _ : state) {
    (*worker)->Dispatch(++id, RequestView{.method = "GET", .url = "http://bench/"});
    if ((*worker)->NeedsContexts()) (void)(*worker)->PrepareContext();
  }
}

// Not a timing: the committed size of each V8 heap space of a shared-context tenant after one
// request and an idle-tenant GC, as counters (KB). Where a tenant's resident memory goes.
void BM_TenantHeapSpaces(benchmark::State& state) {
  v8::Isolate* isolate = nullptr;
  auto worker = HelloWorker(false, &isolate);
  if (!worker.ok()) {
    state.SkipWithError(std::string(worker.status().message()).c_str());
    return;
  }
  (*worker)->Dispatch(1, RequestView{.method = "GET", .url = "http://bench/"});
  (*worker)->ReduceMemory();
  for (auto _ : state) {
  }
  v8::Isolate::Scope scope(isolate);
  double total = 0;
  for (size_t i = 0; i < isolate->NumberOfHeapSpaces(); ++i) {
    v8::HeapSpaceStatistics space;
    isolate->GetHeapSpaceStatistics(&space, i);
    if (space.physical_space_size() == 0) continue;
    state.counters[std::string(space.space_name()) + "_kb"] = static_cast<double>(space.physical_space_size()) / 1024;
    state.counters[std::string(space.space_name()) + "_used_kb"] = static_cast<double>(space.space_used_size()) / 1024;
    total += static_cast<double>(space.physical_space_size()) / 1024;
  }
  state.counters["total_kb"] = total;
}
BENCHMARK(BM_TenantHeapSpaces)->Iterations(1);

// Not a timing: resident memory per shared-context tenant, as an idle server holds it. 64
// tenants (handler `new URL(request.url)` with arg 1, hello world with 0) each serve one request
// and get the idle-tenant GC, then malloc_trim as the server does; counters are per tenant (KB):
// the process's RSS delta split into V8 heap pages by protection (rw: data spaces, r-x: code
// space) and the rest, malloc's bytes in use, and V8's committed heap.
struct MemorySample {
  double rss_kb = 0, rx_anon_kb = 0, malloc_kb = 0;
};
MemorySample SampleMemory() {
  MemorySample sample;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool rx_anon = false;
  while (std::getline(smaps, line)) {
    unsigned long from = 0, to = 0;
    char perms[8] = {};
    char name[256] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %*s %*s %*s %255s", &from, &to, perms, name) >= 3) {
      rx_anon = std::string(perms) == "r-xp" && name[0] == '\0';
      continue;
    }
    if (line.rfind("Rss:", 0) == 0) {
      double kb = std::strtod(line.c_str() + 4, nullptr);
      sample.rss_kb += kb;
      if (rx_anon) sample.rx_anon_kb += kb;
    }
  }
  sample.malloc_kb = static_cast<double>(mallinfo2().uordblks) / 1024;
  return sample;
}

void BM_TenantResident(benchmark::State& state) {
  constexpr int kTenants = 64;
  const bool url = state.range(0) == 1;
  std::vector<std::unique_ptr<Worker>> workers;
  // What the process makes once (the shared read-only heap, the code caches, the first use of
  // the allocator's arenas) comes before the first sample: one tenant made and kept first.
  auto warm_up = HelloWorker(false, nullptr, url ? "new URL(request.url); " : "");
  if (!warm_up.ok()) return state.SkipWithError(std::string(warm_up.status().message()).c_str());
  (*warm_up)->Dispatch(1, RequestView{.method = "GET", .url = "http://bench/a/b?c=d"});
  (*warm_up)->ReduceMemory();
  malloc_trim(0);
  MemorySample before = SampleMemory();
  double heap_kb = 0;
  for (int i = 0; i < kTenants; ++i) {
    v8::Isolate* isolate = nullptr;
    auto worker = HelloWorker(false, &isolate, url ? "new URL(request.url); " : "");
    if (!worker.ok()) return state.SkipWithError(std::string(worker.status().message()).c_str());
    (*worker)->Dispatch(1, RequestView{.method = "GET", .url = "http://bench/a/b?c=d"});
    (*worker)->ReduceMemory();
    v8::Isolate::Scope scope(isolate);
    v8::HeapStatistics stats;
    isolate->GetHeapStatistics(&stats);
    heap_kb += static_cast<double>(stats.total_physical_size()) / 1024;
    workers.push_back(std::move(*worker));
  }
  malloc_trim(0);
  for (auto _ : state) {
  }
  MemorySample after = SampleMemory();
  state.counters["rss_kb"] = (after.rss_kb - before.rss_kb) / kTenants;
  state.counters["rx_anon_kb"] = (after.rx_anon_kb - before.rx_anon_kb) / kTenants;
  state.counters["malloc_kb"] = (after.malloc_kb - before.malloc_kb) / kTenants;
  state.counters["heap_physical_kb"] = heap_kb / kTenants;
}
BENCHMARK(BM_TenantResident)->Arg(0)->Arg(1)->Iterations(1);

// Not a timing: what the objects of a shared-context tenant with a `new URL()` handler are, after
// one request and the idle GC, from a V8 heap snapshot: shallow KB per node type (strings,
// closures, code (bytecode, scope infos, feedback), hidden (maps, descriptors, templates),
// arrays, objects) and the biggest single string (a script's source kept in the heap).
void BM_TenantHeapObjects(benchmark::State& state) {
  v8::Isolate* isolate = nullptr;
  auto worker = HelloWorker(false, &isolate, "new URL(request.url); ");
  if (!worker.ok()) return state.SkipWithError(std::string(worker.status().message()).c_str());
  (*worker)->Dispatch(1, RequestView{.method = "GET", .url = "http://bench/"});
  (*worker)->ReduceMemory();
  for (auto _ : state) {
  }
  v8::Isolate::Scope scope(isolate);
  v8::HandleScope handles(isolate);
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  static constexpr const char* kTypes[] = {"hidden", "array", "string", "object", "code", "closure", "regexp",
                                           "number", "native", "synthetic", "concat", "sliced", "symbol",
                                           "bigint", "shape"};
  std::map<std::string, double> kb;
  double biggest_string = 0;
  for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
    const v8::HeapGraphNode* node = snapshot->GetNode(i);
    double size = static_cast<double>(node->GetShallowSize()) / 1024;
    size_t type = static_cast<size_t>(node->GetType());
    kb[type < std::size(kTypes) ? kTypes[type] : "other"] += size;
    kb["total"] += size;
    if (node->GetType() == v8::HeapGraphNode::kString) biggest_string = std::max(biggest_string, size);
  }
  for (const auto& [type, size] : kb) state.counters[type + "_kb"] = size;
  state.counters["biggest_string_kb"] = biggest_string;
  // ATOLL_BENCH_HEAP_SNAPSHOT=path: the snapshot, for DevTools or bench/heap_types.py.
  if (const char* path = std::getenv("ATOLL_BENCH_HEAP_SNAPSHOT")) bench::WriteHeapSnapshot(snapshot, path);
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
}
BENCHMARK(BM_TenantHeapObjects)->Iterations(1);

// A WebAssembly.Module in a fresh isolate's context when the process already compiled the file
// (bindings/wasm_modules.h), then its instantiation: what a second tenant binding the same
// module pays. ATOLL_BENCH_WASM names the .wasm (default build/examples/wasm/crc32.wasm).
void BM_WasmSharedModuleAndInstance(benchmark::State& state) {
  const char* env = std::getenv("ATOLL_BENCH_WASM");
  std::filesystem::path wasm = env ? env : "build/examples/wasm/crc32.wasm";
  auto first = isolates::TenantIsolate::Create(Blueprint());
  {
    v8::Isolate::Scope scope(first->isolate());
    v8::HandleScope handles(first->isolate());
    v8::Context::Scope context_scope(first->NewContext());
    if (!WasmModuleFor(first->isolate(), wasm).ok()) return state.SkipWithError("no wasm file (ATOLL_BENCH_WASM)");
  }
  auto second = isolates::TenantIsolate::Create(Blueprint());
  v8::Isolate* isolate = second->isolate();
  v8::Isolate::Scope scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = second->NewContext();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Function> instantiate = v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate,
      "(m) => new WebAssembly.Instance(m)")).ToLocalChecked()->Run(context).ToLocalChecked().As<v8::Function>();
  for (auto _ : state) {
    v8::HandleScope iteration(isolate);
    v8::Local<v8::Value> module = *WasmModuleFor(isolate, wasm);
    benchmark::DoNotOptimize(instantiate->Call(context, v8::Undefined(isolate), 1, &module));
  }
}
BENCHMARK(BM_WasmSharedModuleAndInstance)->Unit(benchmark::kMicrosecond);

// The first tenant's case: compiling the file (what WasmModuleFor does once per process) and
// instantiating it, in a fresh isolate's context.
void BM_WasmFirstCompileAndInstance(benchmark::State& state) {
  const char* env = std::getenv("ATOLL_BENCH_WASM");
  absl::StatusOr<std::string> bytes = base::ReadFile(env ? env : "build/examples/wasm/crc32.wasm");
  if (!bytes.ok()) return state.SkipWithError("no wasm file (ATOLL_BENCH_WASM)");
  auto tenant = isolates::TenantIsolate::Create(Blueprint());
  v8::Isolate* isolate = tenant->isolate();
  v8::Isolate::Scope scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = tenant->NewContext();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Function> instantiate = v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate,
      "(m) => new WebAssembly.Instance(m)")).ToLocalChecked()->Run(context).ToLocalChecked().As<v8::Function>();
  v8::MemorySpan<const uint8_t> wire(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  for (auto _ : state) {
    v8::HandleScope iteration(isolate);
    v8::Local<v8::Value> module = v8::WasmModuleObject::Compile(isolate, wire).ToLocalChecked();
    benchmark::DoNotOptimize(instantiate->Call(context, v8::Undefined(isolate), 1, &module));
  }
}
BENCHMARK(BM_WasmFirstCompileAndInstance)->Unit(benchmark::kMicrosecond);

// A fresh isolate's first request to a tenant whose handler uses one API (bench/first_use.sh's
// handlers, in-process): per iteration a new isolate and Worker (not timed), then one request
// (timed, CPU of this thread). Minus the "plain" row it is the API's first-use cost: loading its
// lazy modules (their code cache is the process's after the first iteration) and first calls.
// streams_load / streams_new / streams_read split the streams row: loading the module (its
// global's first read), then constructing a TransformStream and a ReadableStream, then one read
// without a pipe (bench/README "Where a fresh isolate's first stream goes").
constexpr const char* kFirstUses[][2] = {
    {"plain", "return '-';"},
    {"url", "return new URL(request.url).pathname;"},
    {"headers", "const h = new Headers({'content-type': 'text/plain'}); h.append('x-a', '1'); "
                "h.set('x-b', request.headers.get('host') || ''); let n = 0; for (const _ of h) n++; return String(n);"},
    {"streams", "const t = new TransformStream({ transform(c, k) { k.enqueue(c.toUpperCase()); } }); "
                "const rs = new ReadableStream({ start(c) { c.enqueue('ok'); c.close(); } }); "
                "const r = rs.pipeThrough(t).getReader(); return (await r.read()).value;"},
    {"encoding", "const b = new TextEncoder().encode(request.url); return String(new TextDecoder().decode(b).length);"},
    {"dom_exception", "return new DOMException('x', 'AbortError').name;"},
    {"all", "const u = new URL(request.url).pathname; const h = new Headers({a: '1'}); h.set('b', u); "
            "const rs = new ReadableStream({ start(c) { c.enqueue('ok'); c.close(); } }).pipeThrough(new TransformStream()); "
            "const v = (await rs.getReader().read()).value; "
            "return v + new TextDecoder().decode(new TextEncoder().encode(u)) + [...h].length;"},
    {"streams_load", "return typeof ReadableStream;"},
    {"streams_new", "const t = new TransformStream({ transform(c, k) { k.enqueue(c.toUpperCase()); } }); "
                "const rs = new ReadableStream({ start(c) { c.enqueue('ok'); c.close(); } }); return '-';"},
    {"streams_read", "const rs = new ReadableStream({ start(c) { c.enqueue('ok'); c.close(); } }); "
                "const r = rs.getReader(); return (await r.read()).value;"},
    // What libraries check at their top level (hono/cache's middleware factory, getRuntimeKey()).
    {"crypto_probe", "return typeof globalThis.crypto?.subtle;"},
    {"caches_probe", "return typeof globalThis.caches;"},
    {"navigator", "return navigator.userAgent;"},
    // Common first uses in handlers: a timing, an abort signal (fetch with a timeout), a clone.
    {"performance", "return String(performance.now() >= 0);"},
    {"abort_controller", "const c = new AbortController(); return String(c.signal.aborted);"},
    {"structured_clone", "return structuredClone({ a: [1] }).a.length === 1 ? 'ok' : '-';"},
};

// Writes the handler of a kFirstUses row (its use awaited inside fetch) and returns its path.
std::filesystem::path WriteFirstUseScript(const char* const* use) {
  auto script = std::filesystem::temp_directory_path() / (std::string("atoll-first-use-") + use[0] + ".js");
  std::ofstream(script) << "async function use(request) { " << use[1] << " }\n"
                        << "export default { async fetch(request) { return new Response(await use(request)); } };";
  return script;
}

// Adds the heap's committed physical memory after a request, and what it keeps (used after the
// idle tenant's GC), in KB.
void AddHeapAfterRequest(Worker& worker, double* physical_kb, double* kept_kb) {
  v8::Isolate* isolate = worker.isolate();
  v8::Isolate::Scope scope(isolate);
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  *physical_kb += static_cast<double>(heap.total_physical_size()) / 1024;
  worker.ReduceMemory();
  isolate->GetHeapStatistics(&heap);
  *kept_kb += static_cast<double>(heap.used_heap_size()) / 1024;
}

void BM_FirstUse(benchmark::State& state) {
  KeepReadOnlyHeapShared();
  static NoHost host;
  static cache::CodeCache code_cache;
  const char* const* use = kFirstUses[state.range(0)];
  state.SetLabel(use[0]);
  WorkerOptions options;
  options.script_path = WriteFirstUseScript(use);
  // The snapshot the server would choose for this script (bindings/streams_context.h).
  bool streams = StreamsContextWanted(options.script_path);
  uint64_t id = 0;
  double heap_kb = 0;
  double physical_kb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto worker = Worker::Create(options, isolates::TenantIsolate::Create(Blueprint(streams)), &host, &code_cache, nullptr);
    if (!worker.ok()) return state.SkipWithError(std::string(worker.status().message()).c_str());
    state.ResumeTiming();
    (*worker)->Dispatch(++id, RequestView{.method = "GET", .url = "http://bench/some/path?q=1"});
    state.PauseTiming();
    AddHeapAfterRequest(**worker, &physical_kb, &heap_kb);
    worker->reset();
    state.ResumeTiming();
  }
  state.counters["heap_kept_kb"] = heap_kb / static_cast<double>(state.iterations());
  state.counters["heap_physical_kb"] = physical_kb / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FirstUse)->DenseRange(0, 15)->Unit(benchmark::kMicrosecond)->Iterations(60);

// A cold tenant whole: a new isolate, its Worker (the first context and the module) and one
// request, all timed (CPU of this thread), from the runtime's snapshot (range(1) = 0) or the
// streams one (1: streams already loaded, runtime_snapshot.h). Rows as BM_FirstUse's.
// `heap_physical_kb` after the request, `heap_kept_kb` after the idle GC.
void BM_ColdFirstUse(benchmark::State& state) {
  KeepReadOnlyHeapShared();
  static NoHost host;
  static cache::CodeCache code_cache;
  const char* const* use = kFirstUses[state.range(0)];
  state.SetLabel(std::string(use[0]) + (state.range(1) ? " streams_snapshot" : " runtime_snapshot"));
  WorkerOptions options;
  options.script_path = WriteFirstUseScript(use);
  uint64_t id = 0;
  double heap_kb = 0;
  double physical_kb = 0;
  for (auto _ : state) {
    auto worker = Worker::Create(options, isolates::TenantIsolate::Create(Blueprint(state.range(1) != 0)), &host,
                                 &code_cache, nullptr);
    if (!worker.ok()) return state.SkipWithError(std::string(worker.status().message()).c_str());
    (*worker)->Dispatch(++id, RequestView{.method = "GET", .url = "http://bench/some/path?q=1"});
    state.PauseTiming();
    AddHeapAfterRequest(**worker, &physical_kb, &heap_kb);
    worker->reset();
    state.ResumeTiming();
  }
  state.counters["heap_kept_kb"] = heap_kb / static_cast<double>(state.iterations());
  state.counters["heap_physical_kb"] = physical_kb / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ColdFirstUse)
    ->ArgsProduct({{0, 3, 6}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(60);

// A new isolate from the runtime's snapshot (range(0) = 0) or the streams one (1) and nothing
// else (CPU), and its heap: what a tenant pays for the snapshot's isolate part (every function
// its context's scripts have).
void BM_IsolateCreate(benchmark::State& state) {
  KeepReadOnlyHeapShared();
  state.SetLabel(state.range(0) ? "streams_snapshot" : "runtime_snapshot");
  double heap_kb = 0;
  double physical_kb = 0;
  for (auto _ : state) {
    auto isolate = isolates::TenantIsolate::Create(Blueprint(state.range(0) != 0));
    state.PauseTiming();
    {
      v8::Isolate::Scope scope(isolate->isolate());
      v8::HeapStatistics heap;
      isolate->isolate()->GetHeapStatistics(&heap);
      heap_kb += static_cast<double>(heap.used_heap_size()) / 1024;
      physical_kb += static_cast<double>(heap.total_physical_size()) / 1024;
    }
    isolate.reset();
    state.ResumeTiming();
  }
  state.counters["heap_used_kb"] = heap_kb / static_cast<double>(state.iterations());
  state.counters["heap_physical_kb"] = physical_kb / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IsolateCreate)->DenseRange(0, 1)->Unit(benchmark::kMicrosecond)->Iterations(60);

BENCHMARK(BM_BareV8Context)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_RuntimeSnapshotContext)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_StreamsSnapshotContext)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_PerRequestContextAndRequest)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace atl::bindings
