#pragma once
// One V8 isolate for one tenant: made from the runtime's startup snapshot (the bindings' glue
// already in its default context), with its own heap limit, its own ArrayBuffer budget, explicit
// microtasks, no Atomics.wait, and a record of why it was stopped. Any thread may Kill() it.
// An isolate may be made on one thread (the pool's) and run on another: the running thread
// holds a v8::Locker on it from Bind() until Unbind() or destruction, which also sets V8's stack
// limit for that thread. Dispose happens in the destructor, on any thread, once unbound.
//
//   auto isolate = TenantIsolate::Create(blueprint);
//   isolate->ApplyLimits(limits, /*heap_slack_mb=*/16);
//   ... JS runs; the heap or ArrayBuffers overflow -> killed() == LimitKind::kMemory

#include <v8.h>
#include <v8-locker.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <string>

#include "isolates/array_buffer_budget.h"
#include "isolates/limits.h"

namespace atl::isolates {

// How to make an isolate: the startup snapshot and the native functions it refers to.
struct IsolateBlueprint {
  v8::StartupData* snapshot = nullptr;            // null: V8's built-in snapshot (only where
                                                  // no hash seed is fixed: see HashSeedFixed)
  const intptr_t* external_references = nullptr;  // null-terminated; required with a snapshot
  uint32_t heap_mb = 128;                         // heap limit at creation; ApplyLimits may lower it
  bool streams_loaded = false;                    // the snapshot's context has the streams module
                                                  // loaded (bindings/runtime_snapshot.h)
  bool prepare_context = false;                   // a pool makes each spare's first context ahead
                                                  // (TenantIsolate::PrepareContext)
};

class TenantIsolate {
 public:
  // Made and bound to the calling thread.
  static std::unique_ptr<TenantIsolate> Create(const IsolateBlueprint& blueprint);
  // Made on the calling thread but left unbound, for another thread to Bind().
  static std::unique_ptr<TenantIsolate> CreateUnbound(const IsolateBlueprint& blueprint);
  ~TenantIsolate();
  TenantIsolate(const TenantIsolate&) = delete;
  TenantIsolate& operator=(const TenantIsolate&) = delete;

  v8::Isolate* isolate() const { return isolate_; }
  // Made from a snapshot whose context has the streams module loaded (IsolateBlueprint).
  bool streams_loaded() const { return streams_loaded_; }
  // The isolate's data slot holding its TenantIsolate (slot 0 belongs to bindings/).
  static constexpr uint32_t kTenantIsolateSlot = 1;
  // Who runs in it (a tenant's name), for the log line of a process-fatal V8 out-of-memory.
  void set_owner(std::string owner) { owner_ = std::move(owner); }

  // Takes (and keeps) the isolate's lock for the calling thread; releases it.
  void Bind();
  void Unbind();

  // Heap limit and ArrayBuffer budget of `limits.memory_mb` each. Past the heap limit the script
  // is terminated and V8 gets room to finish the operation in flight and unwind, instead of
  // aborting the process: twice what the heap holds, at least `heap_slack_mb` more, each time.
  void ApplyLimits(const TenantLimits& limits, uint32_t heap_slack_mb);

  // Stops running JS as soon as possible (thread-safe) and records why; the first reason wins.
  void Kill(LimitKind why);
  LimitKind killed() const { return killed_.load(std::memory_order_acquire); }
  // Milliseconds since the first Kill(): read when the killed run has unwound, how long the run
  // held the thread past its kill (a builtin V8 cannot interrupt, a huge allocation); 0 if alive.
  // Counted on the bound thread's CPU clock (wall time if that cannot be read): a thread the
  // machine's other work preempted did not spend that time on the tenant's run.
  uint64_t MsSinceKill() const;

  // A new context from the snapshot's default context, with the per-context sandbox rule of
  // SPEC §3 applied: no code generation from strings (eval, new Function -> EvalError). The first
  // call takes the context PrepareContext made, if any.
  v8::Local<v8::Context> NewContext();
  // Makes the first context ahead, on the calling thread (the pool's, while the isolate is
  // unbound: it takes the isolate's lock meanwhile), so that deserializing it is not on the loop.
  void PrepareContext();
  bool has_prepared_context() const { return !prepared_.IsEmpty(); }

  size_t array_buffer_bytes() const { return allocator_.used(); }

  // WebAssembly memory pages made accessible (isolates/wasm_memory_meter.h; any thread): false,
  // counting nothing, when the budget (heap + ArrayBuffers + Wasm memory) has no room for them.
  bool ChargeWasmMemory(size_t bytes) { return allocator_.ReserveExternal(bytes); }
  void ReleaseWasmMemory(size_t bytes) { allocator_.ReleaseExternal(bytes); }
  // The same budget for other native memory a tenant's objects hold (a brotli decoder's window).
  bool ChargeNativeMemory(size_t bytes) { return allocator_.ReserveExternal(bytes); }
  void ReleaseNativeMemory(size_t bytes) { allocator_.ReleaseExternal(bytes); }

  // After a run of JS (on the isolate's thread): the heap grows between GCs without the budget
  // seeing it; if heap, ArrayBuffers and Wasm memory are past the budget after a full GC, the
  // isolate is killed (LimitKind::kMemory). Costs a few atomic loads unless past the budget.
  void CheckExternalMemory();

 private:
  TenantIsolate() = default;
  // A context from the snapshot with SPEC §3's rule: NewContext's and PrepareContext's.
  v8::Local<v8::Context> MakeContext();
  static size_t OnNearHeapLimit(void* data, size_t current_limit, size_t initial_limit);
  static void OnOutOfMemory(const char* location, bool is_heap_oom);

  ArrayBufferBudget allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<v8::Locker> locker_;
  v8::Global<v8::Context> prepared_;  // PrepareContext's, until the first NewContext
  std::atomic<LimitKind> killed_{LimitKind::kNone};
  std::atomic<int64_t> killed_at_ns_{0};      // steady clock, set by the first Kill()
  std::atomic<int64_t> killed_at_cpu_ns_{-1};  // the bound thread's CPU clock then (-1: unknown)
  std::atomic<clockid_t> thread_clock_{-1};    // CPU clock of the thread Bind() ran on
  size_t heap_slack_bytes_ = 16u << 20;
  bool streams_loaded_ = false;
  std::string owner_;
};

}  // namespace atl::isolates
