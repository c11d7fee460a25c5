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

namespace atl::cache {
namespace {

// A blob of `kb` KB: three of 400 KB are past a 1 MB bound, two are not.
std::vector<uint8_t> Kb(size_t kb, uint8_t fill) { return std::vector<uint8_t>(kb * 1024, fill); }

uintmax_t FolderBytes(const std::filesystem::path& dir) {
  uintmax_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) total += entry.file_size();
  return total;
}

TEST(CodeCacheBounds, MemoryKeepsTheMostRecentlyUsedWithinItsBound) {
  CodeCache cache(limits::CodeCacheLimits{.memory_mb = 1});
  cache.Insert("a", Kb(400, 1));
  cache.Insert("b", Kb(400, 2));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now more recent than b
  cache.Insert("c", Kb(400, 3));
  EXPECT_EQ(cache.Find("b"), nullptr) << "the least recently used goes";
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), 800u * 1024);
  EXPECT_EQ(cache.stats().evicted.load(), 1u);
  // Replacing an entry counts its new size only; one larger than the bound is still kept alone.
  cache.Insert("a", Kb(100, 4));
  EXPECT_EQ(cache.bytes(), 500u * 1024);
  cache.Insert("huge", Kb(1500, 5));
  EXPECT_NE(cache.Find("huge"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CodeCacheBounds, AnEntryEvictedFromMemoryIsReadFromDiskAgain) {
  auto dir = FreshDir("code_cache_evicted");
  CodeCache cache(dir, limits::CodeCacheLimits{.memory_mb = 1});
  for (uint8_t i = 0; i < 5; ++i) cache.Insert(std::string(1, static_cast<char>('a' + i)), Kb(400, i));
  EXPECT_LE(cache.bytes(), 1u << 20);
  EXPECT_GE(cache.stats().evicted.load(), 3u);
  auto blob = cache.Find("a");
  ASSERT_NE(blob, nullptr) << "evicted from memory, still on disk";
  EXPECT_EQ(*blob, Kb(400, 0));
}

TEST(CodeCacheBounds, DiskKeepsTheMostRecentlyWrittenFilesWithinItsBound) {
  auto dir = FreshDir("code_cache_disk_bound");
  {
    CodeCache cache(dir);  // the default bound: nothing removed
    for (const char* key : {"old", "middle", "new"}) cache.Insert(key, Kb(400, 7));
  }
  auto now = std::filesystem::file_time_type::clock::now();
  std::filesystem::last_write_time(dir / "old.v8cache", now - std::chrono::hours(3));
  std::filesystem::last_write_time(dir / "middle.v8cache", now - std::chrono::hours(2));
  std::filesystem::last_write_time(dir / "new.v8cache", now - std::chrono::hours(1));
  CodeCache trimmed(dir, limits::CodeCacheLimits{.disk_mb = 1});
  EXPECT_FALSE(std::filesystem::exists(dir / "old.v8cache")) << "the least recently written file goes";
  EXPECT_TRUE(std::filesystem::exists(dir / "middle.v8cache"));
  EXPECT_TRUE(std::filesystem::exists(dir / "new.v8cache"));
  EXPECT_EQ(trimmed.stats().files_removed.load(), 1u);
  // Writes trim as they go: ten more 400 KB entries leave the folder within its bound.
  for (int i = 0; i < 10; ++i) trimmed.Insert("more" + std::to_string(i), Kb(400, 8));
  EXPECT_LE(FolderBytes(dir), 1u << 20);
  EXPECT_TRUE(std::filesystem::exists(dir / "more9.v8cache"));
}

}  // namespace
}  // namespace atl::cache
