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
      // Zeroed as a fresh mapping is (V8 is owed no less), with the permissions asked for.
      if (mprotect(page, length, PROT_READ | PROT_WRITE) == 0) {
        std::memset(page, 0, length);
        if (permissions == kReadWrite || mprotect(page, length, PROT_NONE) == 0) return page;
      }
      inner_->FreePages(page, length);
    }
  }
  return inner_->AllocatePages(address, length, alignment, permissions);
}

bool PageCache::FreePages(void* address, size_t length) {
  if (length == kPageBytes && reinterpret_cast<uintptr_t>(address) % kPageBytes == 0) {
    std::lock_guard lock(mutex_);
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
