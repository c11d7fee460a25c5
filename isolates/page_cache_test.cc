#include "isolates/page_cache.h"

#include <libplatform/libplatform.h>

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstring>
#include <vector>

namespace atl::isolates {
namespace {

// A page allocator of V8's default platform, as the cache wraps in the server.
v8::PageAllocator* SystemPages() {
  static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform(0);
  return platform->GetPageAllocator();
}

TEST(PageCache, AFreedPageComesBackZeroedAndOtherSizesPassThrough) {
  PageCache cache(SystemPages(), 1);
  constexpr size_t kPage = PageCache::kPageBytes;
  void* first = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kNoAccess);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(cache.SetPermissions(first, kPage, v8::PageAllocator::kReadWrite));
  std::memset(first, 0xab, kPage);
  void* second = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(cache.FreePages(first, kPage));
  ASSERT_TRUE(cache.FreePages(second, kPage));  // over capacity: unmapped
  EXPECT_EQ(cache.cached_pages(), 1u);

  void* again = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite);
  EXPECT_EQ(again, first);
  EXPECT_EQ(cache.reused_pages(), 1u);
  const auto* bytes = static_cast<const unsigned char*>(again);
  for (size_t i = 0; i < kPage; i += 4096) ASSERT_EQ(bytes[i], 0) << i;
  EXPECT_EQ(bytes[kPage - 1], 0);

  // Not V8's page size: straight to the system.
  void* big = cache.AllocatePages(nullptr, 2 * kPage, kPage, v8::PageAllocator::kReadWrite);
  ASSERT_NE(big, nullptr);
  EXPECT_TRUE(cache.FreePages(big, 2 * kPage));
  EXPECT_EQ(cache.cached_pages(), 0u);

  // Asked for inaccessible, as V8 does: zeroed when made accessible.
  std::memset(again, 0xcd, kPage);
  ASSERT_TRUE(cache.FreePages(again, kPage));
  void* reserved = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kNoAccess);
  ASSERT_EQ(reserved, again);
  ASSERT_TRUE(cache.SetPermissions(reserved, kPage, v8::PageAllocator::kReadWrite));
  for (size_t i = 0; i < kPage; i += 4096) ASSERT_EQ(bytes[i], 0) << i;
  EXPECT_EQ(bytes[kPage - 1], 0);

  EXPECT_TRUE(cache.FreePages(reserved, kPage));
  cache.Trim();
  EXPECT_EQ(cache.cached_pages(), 0u);
}

// How many of the 4 KB pages of [address, address + length) are resident.
size_t ResidentPages(void* address, size_t length) {
  std::vector<unsigned char> in_core(length / 4096);
  if (mincore(address, length, in_core.data()) != 0) return 0;
  size_t resident = 0;
  for (unsigned char c : in_core) resident += c & 1;
  return resident;
}

TEST(PageCache, AReusedPageIsPopulatedInOneGo) {
  constexpr size_t kPage = PageCache::kPageBytes;
  PageCache cache(SystemPages(), 1);
  void* page = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kNoAccess);
  ASSERT_NE(page, nullptr);
  ASSERT_TRUE(cache.SetPermissions(page, kPage, v8::PageAllocator::kReadWrite));
  EXPECT_EQ(ResidentPages(page, kPage), 0u) << "a fresh page faults in as it is written";
  const auto* bytes = static_cast<const unsigned char*>(page);

  // Freed while resident (written, as an isolate's teardown frees its pages): its memory goes
  // back to the system while it is cached, and it comes back populated and zeroed.
  std::memset(page, 0x5a, kPage);
  ASSERT_EQ(ResidentPages(page, kPage), kPage / 4096);
  ASSERT_TRUE(cache.FreePages(page, kPage));
  EXPECT_EQ(cache.cached_pages(), 1u);
  EXPECT_EQ(ResidentPages(page, kPage), 0u) << "a cached page holds no memory";
  void* again = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite);
  ASSERT_EQ(again, page);
  EXPECT_EQ(ResidentPages(again, kPage), kPage / 4096);
  for (size_t i = 0; i < kPage; i += 512) ASSERT_EQ(bytes[i], 0) << i;

  // Discarded before it is freed, as V8 does when it makes a page inaccessible: it comes back
  // resident (populated) and zeroed, whether handed out read-write or committed afterwards.
  for (auto permissions : {v8::PageAllocator::kReadWrite, v8::PageAllocator::kNoAccess}) {
    SCOPED_TRACE(permissions);
    std::memset(again, 0x77, kPage);
    ASSERT_TRUE(cache.SetPermissions(again, kPage, v8::PageAllocator::kNoAccess));
    ASSERT_TRUE(cache.DiscardSystemPages(again, kPage));
    ASSERT_EQ(ResidentPages(again, kPage), 0u);
    ASSERT_TRUE(cache.FreePages(again, kPage));
    again = cache.AllocatePages(nullptr, kPage, kPage, permissions);
    ASSERT_EQ(again, page);
    if (permissions == v8::PageAllocator::kNoAccess) {
      ASSERT_TRUE(cache.SetPermissions(again, kPage, v8::PageAllocator::kReadWrite));
    }
    EXPECT_EQ(ResidentPages(again, kPage), kPage / 4096);
    for (size_t i = 0; i < kPage; i += 512) ASSERT_EQ(bytes[i], 0) << i;
  }

  // Partly discarded: zeroed all the same.
  std::memset(again, 0x33, kPage);
  ASSERT_TRUE(cache.DiscardSystemPages(again, kPage / 2));
  ASSERT_TRUE(cache.FreePages(again, kPage));
  again = cache.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kNoAccess);
  ASSERT_EQ(again, page);
  ASSERT_TRUE(cache.SetPermissions(again, kPage, v8::PageAllocator::kReadWrite));
  for (size_t i = 0; i < kPage; i += 512) ASSERT_EQ(bytes[i], 0) << i;
  ASSERT_TRUE(cache.FreePages(again, kPage));
  cache.Trim();
  EXPECT_EQ(cache.cached_pages(), 0u);
}

}  // namespace
}  // namespace atl::isolates
