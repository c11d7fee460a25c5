#include "isolates/page_cache.h"

#include <sys/mman.h>

#include <cstdint>

namespace atl::isolates {

namespace {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL, and nothing changes
#endif

// Faults a heap page V8 has just made read-write in with one call instead of 64 (a 4 KB fault
// each, expensive on a VM): what zeroing a reused page by memset did, without the faults. Best
// effort: on failure V8's writes fault the page in as they touch it.
void Populate(void* page, size_t length) { madvise(page, length, MADV_POPULATE_WRITE); }

bool IsRegularPage(void* address, size_t length) {
  return length == PageCache::kPageBytes && reinterpret_cast<uintptr_t>(address) % PageCache::kPageBytes == 0;
}
}  // namespace

void* PageCache::AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) {
  // Only plain data pages: never memory that is to become executable.
  if (length == kPageBytes && alignment <= kPageBytes && kPageBytes % alignment == 0 &&
      (permissions == kNoAccess || permissions == kReadWrite)) {
    void* page = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (!pages_.empty()) {
        page = pages_.back();
        pages_.pop_back();
        ++reused_;
      }
    }
    if (page != nullptr) {
      // Cached pages were discarded when freed: they read as zeros, as a fresh mapping does.
      if (permissions == kNoAccess) {  // still PROT_NONE: populated when V8 commits it
        std::lock_guard lock(mutex_);
        unpopulated_.push_back(page);
        unpopulated_count_.store(unpopulated_.size(), std::memory_order_relaxed);
        return page;
      }
      if (mprotect(page, length, PROT_READ | PROT_WRITE) == 0) {
        Populate(page, length);
        return page;
      }
      inner_->FreePages(page, length);
    }
  }
  void* fresh = inner_->AllocatePages(address, length, alignment, permissions);
  if (fresh != nullptr && permissions == kReadWrite && populate_fresh_ && IsRegularPage(fresh, length)) {
    Populate(fresh, length);
  }
  return fresh;
}

bool PageCache::TakeUnpopulated(void* address) {
  for (size_t i = 0; i < unpopulated_.size(); ++i) {
    if (unpopulated_[i] == address) {
      unpopulated_[i] = unpopulated_.back();
      unpopulated_.pop_back();
      unpopulated_count_.store(unpopulated_.size(), std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

bool PageCache::SetPermissions(void* address, size_t length, Permission permissions) {
  if (!inner_->SetPermissions(address, length, permissions)) return false;
  // V8 commits a regular page whole and writes it from its start as it allocates.
  if (permissions == kReadWrite && IsRegularPage(address, length)) {
    bool reused = false;
    if (unpopulated_count_.load(std::memory_order_relaxed) != 0) {
      std::lock_guard lock(mutex_);
      reused = TakeUnpopulated(address);
    }
    if (reused || populate_fresh_) Populate(address, length);
  }
  return true;
}

bool PageCache::FreePages(void* address, size_t length) {
  if (IsRegularPage(address, length)) {
    std::lock_guard lock(mutex_);
    TakeUnpopulated(address);
    // PROT_NONE keeps the mapping (and a use after free faults); MADV_DONTNEED gives its memory
    // back and makes it read as zeros when reused (V8 has usually discarded it already when it
    // made the page inaccessible: then this finds nothing to free). munmap would cost a mapping.
    if (pages_.size() < capacity_ && mprotect(address, length, PROT_NONE) == 0 &&
        madvise(address, length, MADV_DONTNEED) == 0) {
      pages_.push_back(address);
      return true;
    }
  }
  return inner_->FreePages(address, length);
}

void PageCache::Trim() {
  std::vector<void*> pages;
  {
    std::lock_guard lock(mutex_);
    pages.swap(pages_);
  }
  for (void* page : pages) inner_->FreePages(page, kPageBytes);
}

size_t PageCache::cached_pages() const {
  std::lock_guard lock(mutex_);
  return pages_.size();
}

size_t PageCache::reused_pages() const {
  std::lock_guard lock(mutex_);
  return reused_;
}

}  // namespace atl::isolates
