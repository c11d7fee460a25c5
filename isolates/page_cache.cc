#include "isolates/page_cache.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

namespace atl::isolates {

namespace {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL, and nothing changes
#endif

// Faults a heap page V8 has just made read-write in with one call instead of 64 (a 4 KB fault
// each, expensive on a VM); on a page that is resident already it only walks its page table.
// Best effort: on failure V8's writes fault the page in as they touch it.
void Populate(void* page, size_t length) { madvise(page, length, MADV_POPULATE_WRITE); }

bool IsRegularPage(void* address, size_t length) {
  return length == PageCache::kPageBytes && reinterpret_cast<uintptr_t>(address) % PageCache::kPageBytes == 0;
}
}  // namespace

void PageCache::Ready(Cached page) {
  Populate(page.page, kPageBytes);
  // As a fresh mapping (V8 is owed no less): no faults, the page is resident now.
  if (!page.zeroed) std::memset(page.page, 0, kPageBytes);
}

void* PageCache::AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) {
  // Only plain data pages: never memory that is to become executable.
  if (length == kPageBytes && alignment <= kPageBytes && kPageBytes % alignment == 0 &&
      (permissions == kNoAccess || permissions == kReadWrite)) {
    Cached page{};
    {
      std::lock_guard lock(mutex_);
      if (!pages_.empty()) {
        page = pages_.back();
        pages_.pop_back();
        ++reused_;
      }
    }
    if (page.page != nullptr) {
      if (permissions == kNoAccess) {  // still PROT_NONE: made ready when V8 commits it
        std::lock_guard lock(mutex_);
        uncommitted_.push_back(page);
        uncommitted_count_.store(uncommitted_.size(), std::memory_order_relaxed);
        return page.page;
      }
      if (mprotect(page.page, length, PROT_READ | PROT_WRITE) == 0) {
        Ready(page);
        return page.page;
      }
      inner_->FreePages(page.page, length);
    }
  }
  return inner_->AllocatePages(address, length, alignment, permissions);
}

bool PageCache::TakeUncommitted(void* address, Cached* page) {
  auto at = reinterpret_cast<uintptr_t>(address);
  for (size_t i = 0; i < uncommitted_.size(); ++i) {
    auto start = reinterpret_cast<uintptr_t>(uncommitted_[i].page);
    if (at >= start && at < start + kPageBytes) {
      if (page != nullptr) *page = uncommitted_[i];
      uncommitted_[i] = uncommitted_.back();
      uncommitted_.pop_back();
      uncommitted_count_.store(uncommitted_.size(), std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

bool PageCache::SetPermissions(void* address, size_t length, Permission permissions) {
  Cached page{};
  if (permissions != kNoAccess && uncommitted_count_.load(std::memory_order_relaxed) != 0) {
    std::lock_guard lock(mutex_);
    TakeUncommitted(address, &page);
  }
  if (page.page == nullptr) return inner_->SetPermissions(address, length, permissions);
  // The whole page, whatever part is asked for: writable and made ready once, then as asked.
  if (page.page != address || length != kPageBytes || permissions != kReadWrite) {
    if (mprotect(page.page, kPageBytes, PROT_READ | PROT_WRITE) != 0) return false;
    Ready(page);
    return inner_->SetPermissions(address, length, permissions);
  }
  if (!inner_->SetPermissions(address, length, permissions)) return false;
  Ready(page);
  return true;
}

bool PageCache::DecommitPages(void* address, size_t size) {
  if (uncommitted_count_.load(std::memory_order_relaxed) != 0 && size == kPageBytes) {
    std::lock_guard lock(mutex_);
    TakeUncommitted(address, nullptr);  // decommitted memory reads as zeros anyway; part of a page stays listed
  }
  return inner_->DecommitPages(address, size);
}

bool PageCache::FreePages(void* address, size_t length) {
  if (IsRegularPage(address, length)) {
    bool room = false;
    {
      std::lock_guard lock(mutex_);
      TakeUncommitted(address, nullptr);
      room = pages_.size() < capacity_;
    }
    // PROT_NONE keeps the mapping (and a use after free faults); munmap would give it back.
    // Its memory goes back to the system now (outside the lock: a resident page takes tens of
    // microseconds), whether V8 discarded it first (as it does for pages a GC freed) or not (an
    // isolate's teardown frees resident pages): a cached page holds no memory and reads as
    // zeros, so reusing it takes one populate call and no memset. Zeroing resident pages by
    // memset when they were reused cost more at the allocation than the discard costs here
    // (bench/README "Freed heap pages discarded at once").
    if (room && mprotect(address, length, PROT_NONE) == 0) {
      bool zeroed = madvise(address, length, MADV_DONTNEED) == 0;
      std::lock_guard lock(mutex_);
      if (pages_.size() < capacity_) {
        pages_.push_back(Cached{address, zeroed});
        return true;
      }
    }
  }
  return inner_->FreePages(address, length);
}

void PageCache::Trim() {
  std::vector<Cached> pages;
  {
    std::lock_guard lock(mutex_);
    pages.swap(pages_);
  }
  for (Cached page : pages) inner_->FreePages(page.page, kPageBytes);
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
