#pragma once
// V8's page allocator with a small cache of freed heap pages, and heap pages populated in one
// call. A per_request tenant makes and drops a context per request: each context's objects fill
// ~0.65 fresh 256 KB heap pages, every mark-compact frees the pages the dropped contexts emptied
// (munmap, on V8's worker thread), and the next contexts map new ones (mmap). This allocator
// keeps up to `capacity` freed pages of V8's regular page size mapped (inaccessible, their
// memory given back with MADV_DONTNEED, so a reused page reads as zeros as a fresh mapping does)
// and hands them back out when V8 asks for a page of that size again; everything else goes to
// the allocator it wraps. When V8 makes a regular page read-write (a fresh one or a reused one),
// it is populated with MADV_POPULATE_WRITE (`populate`): one call instead of 64 page faults of
// 4 KB as V8 writes it (a fresh isolate's first use of streams commits ~4 pages: issue 18).
//
//   static PageCache cache(platform->GetPageAllocator(), 64);   // then return &cache to V8

#include "isolates/forwarding_page_allocator.h"

#include <cstddef>
#include <mutex>
#include <vector>

namespace atl::isolates {

class PageCache : public ForwardingPageAllocator {
 public:
  // V8's regular heap page (MemoryChunk::kPageSize in V8 10.2).
  static constexpr size_t kPageBytes = 256 * 1024;

  PageCache(v8::PageAllocator* inner, size_t capacity, bool populate = true)
      : ForwardingPageAllocator(inner), capacity_(capacity), populate_(populate) {}

  // Unmaps every cached page (their memory goes back to the system).
  void Trim();
  size_t cached_pages() const;
  size_t reused_pages() const;

  void* AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;

 private:
  const size_t capacity_;
  const bool populate_;
  mutable std::mutex mutex_;
  std::vector<void*> pages_;  // freed by V8, still mapped, PROT_NONE, discarded
  size_t reused_ = 0;
};

}  // namespace atl::isolates
