#include "cache/code_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

namespace atl::cache {
namespace {

std::filesystem::path FreshDir(const char* name) {
  auto dir = std::filesystem::path(testing::TempDir()) / name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(CodeCacheOnDisk, SurvivesANewInstance) {
  auto dir = FreshDir("code_cache_survives");
  CodeCache(dir).Insert("k1", {9, 8, 7});
  CodeCache again(dir);
  auto blob = again.Find("k1");
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(*blob, (std::vector<uint8_t>{9, 8, 7}));
  EXPECT_EQ(again.Find("other"), nullptr);
}

TEST(CodeCacheOnDisk, CorruptOrTruncatedEntriesAreDropped) {
  auto dir = FreshDir("code_cache_corrupt");
  CodeCache(dir).Insert("k", std::vector<uint8_t>(1000, 42));
  auto file = dir / "k.v8cache";
  ASSERT_TRUE(std::filesystem::exists(file));
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put(0);  // one flipped byte in the payload
  }
  EXPECT_EQ(CodeCache(dir).Find("k"), nullptr);
  EXPECT_FALSE(std::filesystem::exists(file)) << "a corrupt entry is deleted";

  CodeCache(dir).Insert("t", std::vector<uint8_t>(1000, 1));
  std::filesystem::resize_file(dir / "t.v8cache", 100);
  EXPECT_EQ(CodeCache(dir).Find("t"), nullptr);
}

TEST(CodeCacheOnDisk, RemoveDeletesTheFile) {
  auto dir = FreshDir("code_cache_remove");
  CodeCache cache(dir);
  cache.Insert("k", {1});
  cache.Remove("k");
  EXPECT_FALSE(std::filesystem::exists(dir / "k.v8cache"));
  EXPECT_EQ(CodeCache(dir).Find("k"), nullptr);
}

}  // namespace
}  // namespace atl::cache
