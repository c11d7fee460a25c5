#pragma once
// The ArrayBuffer allocator of one tenant isolate. ArrayBuffer memory lives outside the V8 heap
// (512 MB of Uint8Arrays fit in a 16 MB isolate), so this allocator counts it against the same
// budget as the heap: an allocation is refused when ArrayBuffers plus the heap as of the last GC
// would pass it. Buffers nobody holds count until a GC frees them, and V8 answers a refused
// allocation with a GC and another try (two, then a last-resort GC and a last try; a buffer's
// free completes by the next GC's start): so a refusal is only final, and the owner told through
// `on_exceeded` (which stops the isolate: 503 memory_limit), when it comes after two GCs since
// the run of refusals began. A tenant streaming fresh chunks through a small budget is refused
// once in a while and goes on after the GC; one holding too much is stopped. WebAssembly memory,
// which V8 allocates itself, shares the same budget: see ReserveExternal().

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace atl::isolates {

class ArrayBufferBudget : public v8::ArrayBuffer::Allocator {
 public:
  ArrayBufferBudget();
  ~ArrayBufferBudget() override;

  // Bytes ArrayBuffers may hold at once; until set, there is no limit.
  void set_budget(size_t bytes) { budget_.store(bytes, std::memory_order_relaxed); }
  // Called (on the allocating thread) when an allocation is refused.
  void set_on_exceeded(std::function<void()> callback) { on_exceeded_ = std::move(callback); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  // The V8 heap's size after its last GC, which shares the budget.
  void set_heap_used(size_t bytes) { heap_used_.store(bytes, std::memory_order_relaxed); }
  // After each GC (its epilogue): the heap's size then, and one more GC counted.
  void AfterGc(size_t heap_bytes) {
    set_heap_used(heap_bytes);
    gcs_.fetch_add(1, std::memory_order_relaxed);
  }
  // Memory V8 allocates outside this allocator (WebAssembly memories, isolates/wasm_memory_meter.h),
  // which shares the budget: Reserve fails (and counts nothing) past it; the owner is not told.
  bool ReserveExternal(size_t bytes);
  void ReleaseExternal(size_t bytes) { external_.fetch_sub(bytes, std::memory_order_relaxed); }
  size_t external() const { return external_.load(std::memory_order_relaxed); }
  // Whether heap, external memory and ArrayBuffers together are past the budget.
  bool over_budget() const;

  void* Allocate(size_t length) override;
  void* AllocateUninitialized(size_t length) override;
  void Free(void* data, size_t length) override;

 private:
  bool TryAdd(std::atomic<size_t>& counter, size_t bytes, size_t others);
  bool Reserve(size_t length);

  v8::ArrayBuffer::Allocator* system_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> budget_{~size_t{0}};
  std::atomic<size_t> heap_used_{0};
  std::atomic<size_t> external_{0};
  std::atomic<uint64_t> gcs_{0};
  // gcs_ at the first of the refusals since the last allocation that fitted; kNoRefusal: none.
  static constexpr uint64_t kNoRefusal = ~uint64_t{0};
  std::atomic<uint64_t> refused_since_{kNoRefusal};
  std::function<void()> on_exceeded_;
};

}  // namespace atl::isolates
