// KV namespace store (kv/kv_store.h) on a file under /tmp: what one get, put or list page costs
// on the JS thread (every call is synchronous there).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "kv/kv_store.h"

namespace {

using atl::kv::KvRow;
using atl::kv::KvStore;

std::unique_ptr<KvStore> FreshStore(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("atoll-kv-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir / (name + ".sqlite3"));
  return std::move(*KvStore::Open(dir / (name + ".sqlite3")));
}

void BM_Put(benchmark::State& state) {
  auto store = FreshStore("put" + std::to_string(state.range(0)));
  std::string value(state.range(0), 'x');
  int64_t i = 0;
  for (auto _ : state) {
    if (!store->Put("key" + std::to_string(i++ % 10000), value, 0, "", 1000).ok()) state.SkipWithError("put");
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Put)->Arg(100)->Arg(4096)->Arg(1 << 20);

void BM_Get(benchmark::State& state) {
  auto store = FreshStore("get" + std::to_string(state.range(0)));
  std::string value(state.range(0), 'x');
  for (int i = 0; i < 10000; ++i) (void)store->Put("key" + std::to_string(i), value, 0, "", 1000);
  int64_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    (void)store->Get("key" + std::to_string(i++ % 10000), 1000, [&](const KvRow& row) { bytes += row.value.size(); });
  }
  benchmark::DoNotOptimize(bytes);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Get)->Arg(100)->Arg(4096);

void BM_ListPage(benchmark::State& state) {
  auto store = FreshStore("list");
  for (int i = 0; i < 10000; ++i) (void)store->Put("key" + std::to_string(i), "v", 0, "", 1000);
  for (auto _ : state) benchmark::DoNotOptimize(store->List("key", state.range(0), "", 1000));
}
BENCHMARK(BM_ListPage)->Arg(10)->Arg(1000);

}  // namespace
