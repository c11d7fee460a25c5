#pragma once
// V8's page allocator with a small cache of freed heap pages. A per_request tenant makes and drops
// a context per request: each context's objects fill ~0.65 fresh 256 KB heap pages, every
// mark-compact frees the pages the dropped contexts emptied (munmap, on V8's worker thread), and
// the next contexts map new ones (mmap) and fault every 4 KB in again: ~40 page faults and a
// fifth of the CPU of such a request. This allocator keeps up to `capacity` freed pages of V8's
// regular page size mapped (inaccessible until reused), and hands them back out when V8 asks for
// a page of that size again; everything else goes to the allocator it wraps. A reused page is
// zeroed before V8 can read it, as a fresh mapping would be, and faulted in with one
// MADV_POPULATE_WRITE call rather than 64 faults: every freed page is given MADV_DONTNEED (its
// memory goes back to the system while it waits in the cache, and it reads as zeros), so reuse
// is one populate call; only if the discard failed is it zeroed by memset too.
// (Zeroing discarded pages by memset faulted each in 4 KB at a time: most of a fresh isolate's
// page faults in bench/context_benchmark, issue 18.) Fresh pages are left to fault in as V8
// writes them: V8 commits pages it never writes (populating every commit cost +1.1 MB resident
// per tenant in bench/first_use.sh).
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

  PageCache(v8::PageAllocator* inner, size_t capacity) : ForwardingPageAllocator(inner), capacity_(capacity) {}

  // Unmaps every cached page (their memory goes back to the system).
  void Trim();
  size_t cached_pages() const;
  size_t reused_pages() const;

  void* AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;
  bool DecommitPages(void* address, size_t size) override;

 private:
  struct Cached {
    void* page = nullptr;
    // Discarded when freed (MADV_DONTNEED): reads as zeros, needs no memset.
    bool zeroed = false;
  };
  // Readies a reused page V8 is about to use: populates it, zeroes it if it was not discarded.
  static void Ready(Cached page);
  // Takes the page holding `address` out of uncommitted_ if it is there (call with mutex_
  // held), into `page`.
  bool TakeUncommitted(void* address, Cached* page);

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<Cached> pages_;  // freed by V8, still mapped, PROT_NONE
  // Reused pages handed out inaccessible, made ready when V8 commits them (V8 asks for its pages
  // inaccessible and then commits them: doing it then saves two mprotect calls).
  std::vector<Cached> uncommitted_;
  std::atomic<size_t> uncommitted_count_{0};
  size_t reused_ = 0;
};

}  // namespace atl::isolates
