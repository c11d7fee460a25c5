#include "isolates/page_cache.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

namespace atl::isolates {

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
      if (permissions == kNoAccess) {  // still PROT_NONE: zeroed when V8 commits it
        std::lock_guard lock(mutex_);
        unzeroed_.push_back(page);
        unzeroed_count_.store(unzeroed_.size(), std::memory_order_relaxed);
        return page;
      }
      // Zeroed as a fresh mapping is (V8 is owed no less).
      if (mprotect(page, length, PROT_READ | PROT_WRITE) == 0) {
        std::memset(page, 0, length);
        return page;
      }
      inner_->FreePages(page, length);
    }
  }
  return inner_->AllocatePages(address, length, alignment, permissions);
}

void* PageCache::TakeUnzeroed(void* address) {
  auto at = reinterpret_cast<uintptr_t>(address);
  for (size_t i = 0; i < unzeroed_.size(); ++i) {
    auto start = reinterpret_cast<uintptr_t>(unzeroed_[i]);
    if (at >= start && at < start + kPageBytes) {
      void* page = unzeroed_[i];
      unzeroed_[i] = unzeroed_.back();
      unzeroed_.pop_back();
      unzeroed_count_.store(unzeroed_.size(), std::memory_order_relaxed);
      return page;
    }
  }
  return nullptr;
}

bool PageCache::SetPermissions(void* address, size_t length, Permission permissions) {
  if (permissions != kNoAccess && unzeroed_count_.load(std::memory_order_relaxed) != 0) {
    void* page;
    {
      std::lock_guard lock(mutex_);
      page = TakeUnzeroed(address);
    }
    if (page != nullptr) {
      // The whole page, whatever part is asked for: readable and written once, then as asked.
      if (page != address || length != kPageBytes || permissions != kReadWrite) {
        if (mprotect(page, kPageBytes, PROT_READ | PROT_WRITE) != 0) return false;
        std::memset(page, 0, kPageBytes);
        return inner_->SetPermissions(address, length, permissions);
      }
      if (!inner_->SetPermissions(address, length, permissions)) return false;
      std::memset(page, 0, kPageBytes);
      return true;
    }
  }
  return inner_->SetPermissions(address, length, permissions);
}

bool PageCache::DecommitPages(void* address, size_t size) {
  if (unzeroed_count_.load(std::memory_order_relaxed) != 0 && size == kPageBytes) {
    std::lock_guard lock(mutex_);
    TakeUnzeroed(address);  // decommitted memory reads as zeros anyway; part of a page stays listed
  }
  return inner_->DecommitPages(address, size);
}

bool PageCache::FreePages(void* address, size_t length) {
  if (length == kPageBytes && reinterpret_cast<uintptr_t>(address) % kPageBytes == 0) {
    std::lock_guard lock(mutex_);
    TakeUnzeroed(address);  // cached pages are zeroed when reused
    // PROT_NONE keeps the memory (and a use after free faults); munmap would give it back.
    if (pages_.size() < capacity_ && mprotect(address, length, PROT_NONE) == 0) {
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
