// The floor under a tenant's memory: an isolate with a bare V8 10.2 context (V8's own snapshot,
// nothing of atoll), measured as context_benchmark's BM_TenantResident measures a tenant, so that
// the two rows side by side split a tenant's resident memory into V8's part and atoll's.
// A separate binary: atoll's binaries fix a hash seed for their own snapshot, which V8's built-in
// one would need rehashing for.
// Run: build/bench/bare_v8_tenant   (ATOLL_BENCH_HEAP_SNAPSHOT=path writes one context's heap
// snapshot, to compare with context_benchmark's: bench/heap_types.py; the profiler's own memory is
// then counted in the figures, so measure without it)
#include <benchmark/benchmark.h>
#include <libplatform/libplatform.h>
#include <malloc.h>
#include <v8-profiler.h>
#include <v8.h>

#include "bench/heap_snapshot_file.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

void InitializeV8Once() {
  static std::unique_ptr<v8::Platform> platform = [] {
    std::unique_ptr<v8::Platform> made = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(made.get());
    v8::V8::Initialize();
    return made;
  }();
}

double ResidentKb() {
  std::ifstream smaps("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(smaps, line)) {
    if (line.rfind("Rss:", 0) == 0) return std::strtod(line.c_str() + 4, nullptr);
  }
  return 0;
}

// 64 isolates, each with a bare context that ran one trivial script and then had a full GC (as
// an idle tenant gets); counters per isolate, KB: resident, malloc in use, V8's committed heap,
// and each space's used size.
void BM_BareV8TenantResident(benchmark::State& state) {
  constexpr int kTenants = 64;
  InitializeV8Once();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  std::vector<v8::Isolate*> isolates;
  std::vector<v8::Global<v8::Context>> contexts;
  // The read-only heap is shared by the isolates alive at a time: one isolate made first, as in
  // context_benchmark, so that it is not counted in the first tenant.
  v8::Isolate::CreateParams keeper_params;
  keeper_params.array_buffer_allocator = allocator.get();
  v8::Isolate* keeper = v8::Isolate::New(keeper_params);
  malloc_trim(0);
  double rss_before = ResidentKb();
  size_t malloc_before = mallinfo2().uordblks;
  double heap_kb = 0;
  std::vector<double> used_kb(16, 0);
  std::vector<std::string> space_names(16);
  for (int i = 0; i < kTenants; ++i) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    v8::Isolate* isolate = v8::Isolate::New(params);
    v8::Isolate::Scope scope(isolate);
    v8::HandleScope handles(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    {
      v8::Context::Scope context_scope(context);
      v8::Local<v8::String> source = v8::String::NewFromUtf8Literal(isolate, "'hi'.length");
      if (v8::Script::Compile(context, source).ToLocalChecked()->Run(context).IsEmpty()) std::abort();
    }
    isolate->LowMemoryNotification();
    v8::HeapStatistics stats;
    isolate->GetHeapStatistics(&stats);
    heap_kb += static_cast<double>(stats.total_physical_size()) / 1024;
    for (size_t s = 0; s < isolate->NumberOfHeapSpaces() && s < used_kb.size(); ++s) {
      v8::HeapSpaceStatistics space;
      isolate->GetHeapSpaceStatistics(&space, s);
      space_names[s] = space.space_name();
      used_kb[s] += static_cast<double>(space.space_used_size()) / 1024;
    }
    if (i == 0) {
      if (const char* path = std::getenv("ATOLL_BENCH_HEAP_SNAPSHOT")) atl::bench::WriteHeapSnapshot(isolate->GetHeapProfiler()->TakeHeapSnapshot(), path);
    }
    contexts.emplace_back(isolate, context);
    isolates.push_back(isolate);
  }
  malloc_trim(0);
  for (auto _ : state) {
  }
  state.counters["rss_kb"] = (ResidentKb() - rss_before) / kTenants;
  state.counters["malloc_kb"] = static_cast<double>(mallinfo2().uordblks - malloc_before) / 1024 / kTenants;
  state.counters["heap_physical_kb"] = heap_kb / kTenants;
  for (size_t s = 0; s < used_kb.size(); ++s) {
    if (used_kb[s] > 0) state.counters[space_names[s] + "_used_kb"] = used_kb[s] / kTenants;
  }
  contexts.clear();
  for (v8::Isolate* isolate : isolates) isolate->Dispose();
  keeper->Dispose();
}
BENCHMARK(BM_BareV8TenantResident)->Iterations(1);

}  // namespace
