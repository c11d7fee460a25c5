#include "cache/code_cache.h"

#include <gtest/gtest.h>

namespace atl::cache {
namespace {

TEST(CodeCache, KeyDependsOnSourceVersionAndFlags) {
  std::string k = CodeCache::KeyFor("let a = 1;", "10.2", "");
  EXPECT_EQ(k, CodeCache::KeyFor("let a = 1;", "10.2", ""));
  EXPECT_NE(k, CodeCache::KeyFor("let b = 1;", "10.2", ""));  // same length, other source
  EXPECT_NE(k, CodeCache::KeyFor("let a = 1;", "10.3", ""));
  EXPECT_NE(k, CodeCache::KeyFor("let a = 1;", "10.2", "--jitless"));
}

TEST(CodeCache, InsertFindRemove) {
  CodeCache cache;
  EXPECT_EQ(cache.Find("k"), nullptr);
  cache.Insert("k", {1, 2, 3});
  auto blob = cache.Find("k");
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(*blob, (std::vector<uint8_t>{1, 2, 3}));
  cache.Remove("k");
  EXPECT_EQ(cache.Find("k"), nullptr);
  EXPECT_EQ(*blob, (std::vector<uint8_t>{1, 2, 3}));  // a holder keeps its copy alive
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace atl::cache
