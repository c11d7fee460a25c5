#pragma once
// A v8::PageAllocator that hands every call to the allocator it wraps: the base of the page
// allocators that change a few calls (PageCache, WasmMemoryMeter), which override only those.

#include <v8-platform.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace atl::isolates {

class ForwardingPageAllocator : public v8::PageAllocator {
 public:
  explicit ForwardingPageAllocator(v8::PageAllocator* inner) : inner_(inner) {}

  size_t AllocatePageSize() override { return inner_->AllocatePageSize(); }
  size_t CommitPageSize() override { return inner_->CommitPageSize(); }
  void SetRandomMmapSeed(int64_t seed) override { inner_->SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return inner_->GetRandomMmapAddr(); }
  void* AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) override {
    return inner_->AllocatePages(address, length, alignment, permissions);
  }
  bool FreePages(void* address, size_t length) override { return inner_->FreePages(address, length); }
  bool ReleasePages(void* address, size_t length, size_t new_length) override {
    return inner_->ReleasePages(address, length, new_length);
  }
  bool SetPermissions(void* address, size_t length, Permission permissions) override {
    return inner_->SetPermissions(address, length, permissions);
  }
  bool DiscardSystemPages(void* address, size_t size) override { return inner_->DiscardSystemPages(address, size); }
  bool DecommitPages(void* address, size_t size) override { return inner_->DecommitPages(address, size); }
  bool ReserveForSharedMemoryMapping(void* address, size_t size) override {
    return inner_->ReserveForSharedMemoryMapping(address, size);
  }
  std::unique_ptr<SharedMemory> AllocateSharedPages(size_t length, const void* original_address) override {
    return inner_->AllocateSharedPages(length, original_address);
  }
  bool CanAllocateSharedPages() override { return inner_->CanAllocateSharedPages(); }

 protected:
  v8::PageAllocator* const inner_;
};

}  // namespace atl::isolates
