#include "base/lru_by_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::base {
namespace {

using Keys = std::vector<std::string>;

TEST(LruByBytes, EvictsTheLeastRecentlyUsedPastItsBytes) {
  LruByBytes<int> lru(10);
  EXPECT_EQ(lru.Put("a", 1, 4), Keys{});
  EXPECT_EQ(lru.Put("b", 2, 4), Keys{});
  ASSERT_NE(lru.Find("a"), nullptr);  // a is now more recent than b
  EXPECT_EQ(lru.Put("c", 3, 4), Keys{"b"});
  EXPECT_EQ(lru.Find("b"), nullptr);
  EXPECT_EQ(*lru.Find("c"), 3);
  EXPECT_EQ(lru.bytes(), 8u);
  EXPECT_EQ(lru.Put("a", 5, 2), Keys{}) << "a replacement counts its new size only";
  EXPECT_EQ(lru.bytes(), 6u);
  EXPECT_EQ(*lru.Find("a"), 5);
}

TEST(LruByBytes, KeepsTheMostRecentAloneWhateverItsSize) {
  LruByBytes<int> lru(10);
  lru.Put("a", 1, 4);
  EXPECT_EQ(lru.Put("huge", 2, 50), Keys{"a"});
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_EQ(lru.SetLimit(0), Keys{});
  EXPECT_NE(lru.Find("huge"), nullptr);
}

TEST(LruByBytes, PinnedEntriesAreNotCountedNorEvicted) {
  LruByBytes<int> lru(10);
  lru.Put("pinned", 1, 100, /*pinned=*/true);
  EXPECT_EQ(lru.bytes(), 0u);
  lru.Put("a", 2, 6);
  EXPECT_EQ(lru.Put("b", 3, 6), Keys{"a"});
  EXPECT_EQ(lru.SetLimit(0), Keys{});
  EXPECT_NE(lru.Find("pinned"), nullptr);
  lru.Remove("b");
  lru.Remove("pinned");
  EXPECT_EQ(lru.size(), 0u);
  EXPECT_EQ(lru.bytes(), 0u);
}

}  // namespace
}  // namespace atl::base
