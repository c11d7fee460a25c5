#pragma once
// V8's page allocator, seen from WebAssembly memories: charges each memory's committed pages to
// the budget of the tenant isolate that made it. V8 10.2 allocates a Wasm memory outside the
// ArrayBuffer allocator: it reserves the memory's whole range of address space (AllocatePages,
// inaccessible, aligned to the 64 KB Wasm page: nothing else V8 reserves on the JS thread is) and
// makes its pages accessible from the start (SetPermissions) when the memory is made and on every
// grow, whether from JS (`memory.grow()`) or from Wasm code (`memory.grow`), and when a grow
// moves the memory to a larger reservation. This allocator sees those calls: a commit the
// budget has no room for is refused, so V8 fails that allocation or grow (after it tried a GC
// between attempts); once V8 gave up on the GCs, the isolate is stopped (LimitKind::kMemory).
// Freeing the reservation gives the bytes back. Everything is forwarded to the allocator it wraps.
//
//   static WasmMemoryMeter meter(&page_cache);   // then return &meter to V8 as its page allocator

#include "isolates/forwarding_page_allocator.h"

#include <cstdint>
#include <map>
#include <mutex>

namespace atl::isolates {

class TenantIsolate;

class WasmMemoryMeter : public ForwardingPageAllocator {
 public:
  // V8's Wasm page, the alignment of a Wasm memory's reservation.
  static constexpr size_t kWasmPageBytes = 64 * 1024;
  // Commits of one memory refused this many times in a row: V8's retries (each after a GC) are
  // spent and the tenant is over its budget for good.
  static constexpr int kRefusalsBeforeKill = 3;

  explicit WasmMemoryMeter(v8::PageAllocator* inner) : ForwardingPageAllocator(inner) {}

  // Forgets the memories of `owner` (its isolate is gone).
  void Forget(const TenantIsolate* owner);
  // Bytes committed to Wasm memories of `owner` (for tests).
  size_t committed(const TenantIsolate* owner) const;

  void* AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;

 private:
  // One Wasm memory's reservation.
  struct Region {
    size_t length = 0;
    TenantIsolate* owner = nullptr;
    size_t committed = 0;  // charged to the owner's budget
    int refusals = 0;
  };
  mutable std::mutex mutex_;
  std::map<uintptr_t, Region> regions_;  // by start address
};

}  // namespace atl::isolates
