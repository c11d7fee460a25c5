#pragma once
// The process-wide V8 platform: initialized once before any isolate exists, torn down at exit.
// Guards the V8 version: the preinstalled nodejs ships V8 11.3 headers that would compile and
// silently misbehave against libnode's V8 10.2.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <v8-version.h>

static_assert(V8_MAJOR_VERSION == 10 && V8_MINOR_VERSION == 2,
              "atoll is built against V8 10.2 from libnode108 (third_party/sysroot)");

namespace v8 {
class Isolate;
class Task;
}

namespace atl::isolates {

class WasmMemoryMeter;

// Initializes V8 on first call (thread-safe); later calls do nothing.
void InitializeV8();

// Runs the foreground tasks V8 posted for `isolate` (GC finalization, Wasm tier-up, the steps
// of an asynchronous WebAssembly compile); whether any ran. Called by the event loop between I/O
// events.
bool PumpPlatformTasks(v8::Isolate* isolate);

// Posts `task` to run on `isolate`'s thread at its next pump (from any thread; the loop is woken).
void PostForegroundTask(v8::Isolate* isolate, std::unique_ptr<v8::Task> task);

// Called (from any thread, V8's background threads included) whenever V8 posts a foreground task
// to run now, so that the event loop pumps it without waiting for its next periodic pump. Set
// once by the event loop's owner; `wake` must be thread-safe (uv_async_send).
void SetForegroundTaskWakeup(void (*wake)(void*), void* data);
// The isolates that had a task posted to run now since the last call, each once: a wakeup pumps
// those, not every isolate of the process (delayed tasks wait for the periodic pump of all).
std::vector<v8::Isolate*> TakeIsolatesWithTasks();
// The isolates with a delayed task due by now, each once (and forgets those tasks): the periodic
// pump runs these, not every isolate (with 1,000 tenants loaded, pumping each every 100 ms was
// ~12% of a worker's time and a p99 stall of ~2-3 ms per tick). An isolate may be gone by now.
std::vector<v8::Isolate*> TakeIsolatesWithDueTasks();

// The page allocator V8 runs with, which charges WebAssembly memories to their tenant's budget.
WasmMemoryMeter& WasmMeter();

// What Date.now() and new Date() read (SPEC §3): the wall clock as of the last call to
// AdvanceClock(), which the event loop makes before each entry into JS, so time stands still
// while a script runs and cannot be used to time it.
void AdvanceClock();
double FrozenClockMillis();

// V8's version string, e.g. "10.2.154.26-node.36".
std::string V8Version();

// Makes V8 use `seed` for string hashing (before InitializeV8). The snapshot maker calls it with a
// random seed per build; serving binaries use the seed their embedded snapshot records, so that
// a deserialized context needs no rehash (cache/startup_snapshot.h).
void UseHashSeed(uint64_t seed);
// Whether V8 runs with a fixed seed and no rehashing: then only atoll's snapshot may be used,
// never V8's built-in one (whose tables were laid out for another seed).
bool HashSeedFixed();

// The V8 flags atoll sets; part of every code cache key.
const char* V8Flags();

}  // namespace atl::isolates
