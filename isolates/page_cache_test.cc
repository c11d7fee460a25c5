#include "isolates/page_cache.h"

#include <libplatform/libplatform.h>

#include <gtest/gtest.h>

#include <cstring>

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

}  // namespace
}  // namespace atl::isolates
