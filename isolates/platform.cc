#include "isolates/platform.h"

#include <dlfcn.h>
#include <libplatform/libplatform.h>
#include <v8-initialization.h>
#include <v8-platform.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cache/startup_snapshot.h"
#include "isolates/page_cache.h"
#include "isolates/wasm_memory_meter.h"

// V8 10.2 picks the address of each new isolate's code range (CodeRange::InitReservation, via
// CodeRangeAddressHint::GetAddressHint) by parsing /proc/self/maps for a free gap near the
// embedded builtins, for every isolate: O(memory mappings), and each isolate adds ~12, so with
// 1,000 tenants loaded one isolate's hint read ~12,000 lines (the kernel formats them all under
// the mm lock) - the larger part of a blank isolate's cost late in a cold burst. The near
// placement buys nothing in this build (libnode has no pointer compression, hence no short
// builtin calls), so atoll answers "nothing found" without reading the file: V8 then hints the
// lowest address of that region and mmap places the range wherever the kernel finds room, as
// for any mapping. libnode calls the function through its PLT, so this definition in the
// executable replaces it (nothing else in libnode calls it). ATOLL_V8_MAPS_SCAN=1 keeps V8's own
// (bench/cold.sh measures both).
namespace v8::base {
class OS {
 public:
  struct MemoryRange {
    uintptr_t start = 0;
    uintptr_t end = 0;
  };
  static std::vector<MemoryRange> GetFreeMemoryRangesWithin(uintptr_t boundary_start, uintptr_t boundary_end,
                                                            size_t minimum_size, size_t alignment);
};
}  // namespace v8::base

std::vector<v8::base::OS::MemoryRange> v8::base::OS::GetFreeMemoryRangesWithin(uintptr_t boundary_start,
                                                                              uintptr_t boundary_end,
                                                                              size_t minimum_size,
                                                                              size_t alignment) {
  using Original = std::vector<MemoryRange> (*)(uintptr_t, uintptr_t, size_t, size_t);
  static const Original original = [] {
    const char* scan = std::getenv("ATOLL_V8_MAPS_SCAN");
    if (scan == nullptr || std::strcmp(scan, "1") != 0) return Original{nullptr};
    return reinterpret_cast<Original>(dlsym(RTLD_NEXT, "_ZN2v84base2OS25GetFreeMemoryRangesWithinEmmmm"));
  }();
  if (original != nullptr) return original(boundary_start, boundary_end, minimum_size, alignment);
  return {};
}

namespace atl::isolates {
namespace {
// Set before V8::Initialize: tenant scripts get no `gc()`, no `%Natives` syntax and no
// SharedArrayBuffer (SPEC §3; V8 would re-add it to every context made from the snapshot).
// --no-expose-wasm: V8 would build the WebAssembly namespace in every new context (~20% of a
// context); the snapshot's WebAssembly global builds it on first read instead
// (bindings/wasm_global.h). --no-validate-asm: asm.js runs as the plain JS it is, without the
// Wasm structures V8 would otherwise install in every context for it.
// --no-experimental-wasm-threads: no shared WebAssembly memories (a SharedArrayBuffer by
// another road): `shared` in a Memory descriptor is ignored and a module that defines or imports
// a shared memory, or uses atomics, does not compile.
// --no-verify-snapshot-checksum: V8 would adler32 the whole startup snapshot (embedded in this
// binary) for every new isolate, and checksum every code cache entry; the code cache's disk
// entries carry their own SHA-256 (cache/code_cache.h), and memory ones never left the process.
// --baseline-batch-compilation-threshold=16384 (V8's default 4096 bytes of bytecode per
// Sparkplug batch): a fresh isolate loading a large built-in (the streams polyfill) compiled
// batch after batch on budget interrupts during its top level; 1.0-1.5 ms less for a first use
// of streams (bench/README "First use of the built-ins"), hot code still compiled, later.
constexpr char kFlags[] =
    "--no-expose-gc --no-allow-natives-syntax --no-harmony-sharedarraybuffer --no-expose-wasm --no-validate-asm "
    "--no-experimental-wasm-threads --no-verify-snapshot-checksum --baseline-batch-compilation-threshold=16384";

std::atomic<double> g_frozen_ms{0};

double RealClockMillis() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::atomic<void (*)(void*)> g_wake{nullptr};
std::atomic<void*> g_wake_data{nullptr};

std::mutex g_posted_mutex;
std::vector<v8::Isolate*> g_posted;  // isolates with a task to run now, each once

void WakeLoop(v8::Isolate* isolate) {
  {
    std::lock_guard<std::mutex> lock(g_posted_mutex);
    if (std::find(g_posted.begin(), g_posted.end(), isolate) == g_posted.end()) g_posted.push_back(isolate);
  }
  if (auto wake = g_wake.load(std::memory_order_acquire)) wake(g_wake_data.load(std::memory_order_relaxed));
}

// Delayed foreground tasks by due time (the platform's monotonic seconds): the loop's periodic
// pump runs the isolates whose task is due, not every isolate of the process.
std::mutex g_delayed_mutex;
std::multimap<double, v8::Isolate*> g_delayed;

void NoteDelayedTask(v8::Isolate* isolate, double delay_in_seconds);

// An isolate's foreground task runner that wakes the event loop when a task is posted to run
// now, and notes when a delayed one is due (for the loop's periodic pump).
class WakingTaskRunner : public v8::TaskRunner {
 public:
  WakingTaskRunner(std::shared_ptr<v8::TaskRunner> inner, v8::Isolate* isolate) : inner_(std::move(inner)), isolate_(isolate) {}
  void PostTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostTask(std::move(task));
    WakeLoop(isolate_);
  }
  void PostNonNestableTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostNonNestableTask(std::move(task));
    WakeLoop(isolate_);
  }
  void PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->PostDelayedTask(std::move(task), delay_in_seconds);
    NoteDelayedTask(isolate_, delay_in_seconds);
  }
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->PostNonNestableDelayedTask(std::move(task), delay_in_seconds);
    NoteDelayedTask(isolate_, delay_in_seconds);
  }
  void PostIdleTask(std::unique_ptr<v8::IdleTask> task) override { inner_->PostIdleTask(std::move(task)); }
  bool IdleTasksEnabled() override { return inner_->IdleTasksEnabled(); }
  bool NonNestableTasksEnabled() const override { return inner_->NonNestableTasksEnabled(); }
  bool NonNestableDelayedTasksEnabled() const override { return inner_->NonNestableDelayedTasksEnabled(); }

 private:
  std::shared_ptr<v8::TaskRunner> inner_;
  v8::Isolate* isolate_;
};

// V8's default platform, except for the wall clock behind Date: it reads the frozen clock.
// (workerd does the same to keep Date from timing code.)
class FrozenClockPlatform : public v8::Platform {
 public:
  explicit FrozenClockPlatform(std::unique_ptr<v8::Platform> inner)
      : inner_(std::move(inner)), pages_(inner_->GetPageAllocator(), PageCacheCapacity()), meter_(&pages_) {}
  v8::Platform* inner() const { return inner_.get(); }
  WasmMemoryMeter& meter() { return meter_; }

  v8::PageAllocator* GetPageAllocator() override { return &meter_; }
  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override { return inner_->GetZoneBackingAllocator(); }
  void OnCriticalMemoryPressure() override { inner_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override { return inner_->OnCriticalMemoryPressure(length); }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return std::make_shared<WakingTaskRunner>(inner_->GetForegroundTaskRunner(isolate), isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override { inner_->CallOnWorkerThread(std::move(task)); }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay_in_seconds);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override { return inner_->IdleTasksEnabled(isolate); }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority, std::unique_ptr<v8::JobTask> job_task) override {
    return inner_->PostJob(priority, std::move(job_task));
  }
  double MonotonicallyIncreasingTime() override { return inner_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return FrozenClockMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override { return inner_->GetTracingController(); }
  void DumpWithoutCrashing() override { inner_->DumpWithoutCrashing(); }

 private:
  // 8 MB per process: a mark-compact of a per_request tenant frees ~40 pages; 32 cached saved
  // 95% of the page faults (64: 97%, 16: 45%) in bench/context_benchmark.
  static size_t PageCacheCapacity() { return 32; }
  std::unique_ptr<v8::Platform> inner_;
  PageCache pages_;
  WasmMemoryMeter meter_;
};

FrozenClockPlatform* g_platform = nullptr;
uint64_t g_hash_seed_override = 0;

void NoteDelayedTask(v8::Isolate* isolate, double delay_in_seconds) {
  // Noted after V8's runner computed its own deadline from the same clock: never earlier.
  double due = g_platform->MonotonicallyIncreasingTime() + delay_in_seconds;
  std::lock_guard<std::mutex> lock(g_delayed_mutex);
  g_delayed.emplace(due, isolate);
}

// The hash seed V8 runs with: the snapshot maker's choice, or the one the embedded snapshot was
// made with (0: none, V8 picks one per isolate and rehashes every deserialized context).
uint64_t HashSeed() {
  if (g_hash_seed_override != 0) return g_hash_seed_override;
  return cache::StartupSnapshotHashSeed(cache::EmbeddedStartupSnapshot());
}
}  // namespace

WasmMemoryMeter& WasmMeter() {
  InitializeV8();
  return g_platform->meter();
}

void AdvanceClock() { g_frozen_ms.store(RealClockMillis(), std::memory_order_relaxed); }

double FrozenClockMillis() { return g_frozen_ms.load(std::memory_order_relaxed); }

bool PumpPlatformTasks(v8::Isolate* isolate) {
  bool ran = false;
  while (v8::platform::PumpMessageLoop(g_platform->inner(), isolate)) ran = true;
  return ran;
}

void PostForegroundTask(v8::Isolate* isolate, std::unique_ptr<v8::Task> task) {
  g_platform->GetForegroundTaskRunner(isolate)->PostTask(std::move(task));
}

std::vector<v8::Isolate*> TakeIsolatesWithTasks() {
  std::lock_guard<std::mutex> lock(g_posted_mutex);
  return std::exchange(g_posted, {});
}

std::vector<v8::Isolate*> TakeIsolatesWithDueTasks() {
  double now = g_platform != nullptr ? g_platform->MonotonicallyIncreasingTime() : 0;
  std::vector<v8::Isolate*> due;
  std::lock_guard<std::mutex> lock(g_delayed_mutex);
  auto end = g_delayed.upper_bound(now);
  for (auto it = g_delayed.begin(); it != end; ++it) {
    if (std::find(due.begin(), due.end(), it->second) == due.end()) due.push_back(it->second);
  }
  g_delayed.erase(g_delayed.begin(), end);
  return due;
}

void SetForegroundTaskWakeup(void (*wake)(void*), void* data) {
  g_wake_data.store(data, std::memory_order_relaxed);
  g_wake.store(wake, std::memory_order_release);
}

void UseHashSeed(uint64_t seed) { g_hash_seed_override = seed; }

bool HashSeedFixed() { return HashSeed() != 0; }

const char* V8Flags() {
  // ATOLL_V8_FLAGS (for experiments) goes after atoll's own; both are part of cache keys.
  static const std::string flags = [] {
    std::string all = kFlags;
    if (uint64_t seed = HashSeed(); seed != 0) {
      all += " --hash-seed=" + std::to_string(seed) + " --no-rehash-snapshot";
    }
    if (const char* extra = std::getenv("ATOLL_V8_FLAGS")) all += std::string(" ") + extra;
    return all;
  }();
  return flags.c_str();
}

std::string V8Version() { return v8::V8::GetVersion(); }

void InitializeV8() {
  static std::once_flag once;
  std::call_once(once, [] {
    AdvanceClock();
    v8::V8::SetFlagsFromString(V8Flags(), std::strlen(V8Flags()));
    // One background thread: the process runs one worker per core already.
    static FrozenClockPlatform platform(v8::platform::NewDefaultPlatform(1));
    g_platform = &platform;
    v8::V8::InitializePlatform(&platform);
    v8::V8::Initialize();
  });
}

}  // namespace atl::isolates
