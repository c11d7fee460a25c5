#include "isolates/tenant_isolate.h"

#include "isolates/platform.h"
#include "isolates/thread_cpu_clock.h"
#include "isolates/wasm_memory_meter.h"

#include "base/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace atl::isolates {

std::unique_ptr<TenantIsolate> TenantIsolate::Create(const IsolateBlueprint& blueprint) {
  std::unique_ptr<TenantIsolate> self = CreateUnbound(blueprint);
  self->Bind();
  return self;
}

std::unique_ptr<TenantIsolate> TenantIsolate::CreateUnbound(const IsolateBlueprint& blueprint) {
  InitializeV8();
  if (blueprint.snapshot == nullptr && HashSeedFixed()) {
    // V8's built-in snapshot would be used without the rehash its tables need: refuse loudly.
    std::fprintf(stderr, "atoll: an isolate without atoll's snapshot in a binary that fixes V8's hash seed\n");
    std::abort();
  }
  std::unique_ptr<TenantIsolate> self(new TenantIsolate());
  self->streams_loaded_ = blueprint.streams_loaded;
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = &self->allocator_;
  params.snapshot_blob = blueprint.snapshot;
  params.external_references = blueprint.external_references;
  params.constraints.ConfigureDefaultsFromHeapSize(0, size_t{blueprint.heap_mb} << 20);
  v8::Isolate* isolate = self->isolate_ = v8::Isolate::Allocate();
  v8::Locker locker(isolate);
  v8::Isolate::Initialize(isolate, params);
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate->SetAllowAtomicsWait(false);
  isolate->AddNearHeapLimitCallback(OnNearHeapLimit, self.get());
  isolate->SetData(kTenantIsolateSlot, self.get());
  isolate->SetOOMErrorHandler(OnOutOfMemory);
  // ArrayBuffers share the heap's budget: the allocator learns the heap's size after each GC.
  isolate->AddGCEpilogueCallback(
      [](v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
        v8::HeapStatistics stats;
        isolate->GetHeapStatistics(&stats);
        static_cast<ArrayBufferBudget*>(data)->AfterGc(stats.used_heap_size());
      },
      &self->allocator_);
  TenantIsolate* raw = self.get();
  self->allocator_.set_on_exceeded([raw] { raw->Kill(LimitKind::kMemory); });
  return self;
}

TenantIsolate::~TenantIsolate() {
  if (!prepared_.IsEmpty()) {
    v8::Locker locker(isolate_);  // recursive if this thread holds it already
    prepared_.Reset();
  }
  locker_.reset();
  isolate_->Dispose();
  WasmMeter().Forget(this);
}

void TenantIsolate::Bind() {
  if (!locker_) locker_ = std::make_unique<v8::Locker>(isolate_);
  thread_clock_.store(CurrentThreadCpuClock(), std::memory_order_release);
}

void TenantIsolate::Unbind() { locker_.reset(); }

void TenantIsolate::ApplyLimits(const TenantLimits& limits, uint32_t heap_slack_mb) {
  size_t bytes = size_t{limits.memory_mb} << 20;
  heap_slack_bytes_ = size_t{heap_slack_mb} << 20;
  allocator_.set_budget(bytes);
  // V8 lowers the heap limit only when a near-heap-limit callback is removed with a new limit.
  isolate_->RemoveNearHeapLimitCallback(OnNearHeapLimit, bytes);
  isolate_->AddNearHeapLimitCallback(OnNearHeapLimit, this);
}

void TenantIsolate::CheckExternalMemory() {
  if (!allocator_.over_budget()) return;
  // Memories and buffers nobody holds any more count until a GC frees them: collect first (rare:
  // only past the budget), as V8 does before its own heap limit.
  isolate_->LowMemoryNotification();
  if (allocator_.over_budget()) Kill(LimitKind::kMemory);
}

void TenantIsolate::Kill(LimitKind why) {
  LimitKind none = LimitKind::kNone;
  if (killed_.compare_exchange_strong(none, why, std::memory_order_acq_rel)) {
    // Kill() may run on another thread (the CPU watchdog): the bound thread's clock is read by id.
    killed_at_cpu_ns_.store(ReadCpuClockNs(thread_clock_.load(std::memory_order_acquire)), std::memory_order_relaxed);
    killed_at_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_release);
  }
  isolate_->TerminateExecution();
}

uint64_t TenantIsolate::MsSinceKill() const {
  int64_t at = killed_at_ns_.load(std::memory_order_acquire);
  if (at == 0) return 0;
  int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  int64_t wall = now > at ? now - at : 0;
  int64_t cpu_at = killed_at_cpu_ns_.load(std::memory_order_relaxed);
  int64_t cpu_now = cpu_at < 0 ? -1 : ReadCpuClockNs(thread_clock_.load(std::memory_order_acquire));
  int64_t held = cpu_now < 0 ? wall : std::min(wall, std::max<int64_t>(cpu_now - cpu_at, 0));
  return static_cast<uint64_t>(held) / 1'000'000u;
}

size_t TenantIsolate::OnNearHeapLimit(void* data, size_t current_limit, size_t initial_limit) {
  auto* self = static_cast<TenantIsolate*>(data);
  self->Kill(LimitKind::kMemory);
  // Room to unwind, or V8 aborts the whole process. The script stops only at its next interrupt
  // check: the operation in flight (a builtin making a 512 MB string, an array's elements store)
  // may still allocate as much again, and V8 does not say how much it asks for. A huge object
  // is allocated in the young large-object space whatever the limit, so the heap may already be
  // far past it: the new limit is twice what the heap holds now, plus the slack, each time V8
  // calls. The isolate is discarded once the script has unwound.
  v8::HeapStatistics stats;
  self->isolate_->GetHeapStatistics(&stats);
  size_t base = std::max(current_limit, stats.used_heap_size());
  return base + std::max(base, self->heap_slack_bytes_);
}

void TenantIsolate::OnOutOfMemory(const char* location, bool is_heap_oom) {
  // V8 aborts the process when this returns: say which tenant did it, for the operator.
  std::string owner = "(none)";
  if (v8::Isolate* isolate = v8::Isolate::TryGetCurrent()) {
    if (auto* self = static_cast<TenantIsolate*>(isolate->GetData(kTenantIsolateSlot))) owner = self->owner_;
  }
  base::LogLine(base::LogLevel::kError, "V8 ran out of memory: the worker process stops")
      .Str("tenant", owner)
      .Str("location", location != nullptr ? location : "")
      .Str("kind", is_heap_oom ? "heap" : "process")
      .Emit();
}

v8::Local<v8::Context> TenantIsolate::NewContext() {
  v8::EscapableHandleScope scope(isolate_);
  if (prepared_.IsEmpty()) return scope.Escape(MakeContext());
  v8::Local<v8::Context> context = prepared_.Get(isolate_);
  prepared_.Reset();
  return scope.Escape(context);
}

void TenantIsolate::PrepareContext() {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  prepared_.Reset(isolate_, MakeContext());
}

v8::Local<v8::Context> TenantIsolate::MakeContext() {
  v8::Local<v8::Context> context = v8::Context::New(isolate_);
  context->AllowCodeGenerationFromStrings(false);
  return context;
}

}  // namespace atl::isolates
