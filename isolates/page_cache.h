#pragma once
// V8's page allocator with a small cache of freed heap pages, and heap pages populated in one
// call. A per_request tenant makes and drops a context per request: each context's objects fill
// ~0.65 fresh 256 KB heap pages, every mark-compact frees the pages the dropped contexts emptied
// (munmap, on V8's worker thread), and the next contexts map new ones (mmap). This allocator
// keeps up to `capacity` freed pages of V8's regular page size mapped (inaccessible, their
// memory given back with MADV_DONTNEED, so a reused page reads as zeros as a fresh mapping does)
// and hands them back out when V8 asks for a page of that size again; everything else goes to
// the allocator it wraps. A reused page is populated with MADV_POPULATE_WRITE when V8 makes it
// read-write: one call instead of 64 page faults of 4 KB (zeroing it by memset, as this cache
// did before, faulted every 4 KB in again, since V8 discards a page's memory before freeing it).
// Fresh pages are populated too only with `populate_fresh`: V8 commits pages it never writes
// (issue 18: +1.1 MB resident per tenant when every commit was populated).
//
//   static PageCache cache(platform->GetPageAllocator(), 64);   // then return &cache to V8

#include "isolates/forwarding_page_allocator.h"

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

namespace atl::isolates {

class PageCache : public ForwardingPageAllocator {
 public:
  // V8's regular heap page (MemoryChunk::kPageSize in V8 10.2).
  static constexpr size_t kPageBytes = 256 * 1024;

  PageCache(v8::PageAllocator* inner, size_t capacity, bool populate_fresh = false)
      : ForwardingPageAllocator(inner), capacity_(capacity), populate_fresh_(populate_fresh) {}

  // Unmaps every cached page (their memory goes back to the system).
  void Trim();
  size_t cached_pages() const;
  size_t reused_pages() const;

  void* AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;

 private:
  const size_t capacity_;
  const bool populate_fresh_;
  mutable std::mutex mutex_;
  std::vector<void*> pages_;  // freed by V8, still mapped, PROT_NONE, discarded
  // Reused pages handed out inaccessible, to be populated when V8 makes them read-write.
  std::vector<void*> unpopulated_;
  std::atomic<size_t> unpopulated_count_{0};
  // Takes `address` out of unpopulated_ if it is there (call with mutex_ held).
  bool TakeUnpopulated(void* address);
  size_t reused_ = 0;
};

}  // namespace atl::isolates
