// Unit tests of the Cache API's store (http_cache.h): tenant partitioning, expiry, LRU eviction
// under the per-tenant cap, delete, and two handles on one file (two worker processes).
#include "cache/http_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace atl::cache {
namespace {

class HttpCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("atoll-httpcache-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    auto cache = HttpCache::Open(file());
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = std::move(*cache);
  }
  void TearDown() override {
    cache_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path file() const { return dir_ / "cache" / "http_cache.sqlite3"; }
  // "meta|body" of the entry, or "<none>".
  std::string Body(HttpCache& cache, std::string_view tenant, std::string_view key, int64_t now = 1000) {
    std::string out = "<none>";
    absl::StatusOr<bool> found = cache.Get(tenant, key, now, [&](std::string_view meta, std::string_view body) {
      out = std::string(meta) + "|" + std::string(body);
    });
    EXPECT_TRUE(found.ok()) << found.status();
    return out;
  }
  bool Put(std::string_view tenant, std::string_view key, std::string_view body, int64_t now = 1000,
           int64_t expires = 100000, uint64_t cap = 1 << 20) {
    absl::StatusOr<bool> stored = cache_->Put(tenant, key, "m", body, expires, now, cap);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() && *stored;
  }
  std::filesystem::path dir_;
  std::unique_ptr<HttpCache> cache_;
};

TEST_F(HttpCacheTest, PutGetDelete) {
  EXPECT_EQ(Body(*cache_, "a", "k"), "<none>");
  ASSERT_TRUE(Put("a", "k", "one"));
  EXPECT_EQ(Body(*cache_, "a", "k"), "m|one");
  ASSERT_TRUE(Put("a", "k", "two"));
  EXPECT_EQ(Body(*cache_, "a", "k"), "m|two");
  EXPECT_EQ(*cache_->Delete("a", "k"), true);
  EXPECT_EQ(*cache_->Delete("a", "k"), false);
  EXPECT_EQ(Body(*cache_, "a", "k"), "<none>");
}

TEST_F(HttpCacheTest, TenantsArePartitioned) {
  ASSERT_TRUE(Put("a", "k", "of a"));
  EXPECT_EQ(Body(*cache_, "b", "k"), "<none>");
  EXPECT_EQ(*cache_->Delete("b", "k"), false);
  ASSERT_TRUE(Put("b", "k", "of b"));
  EXPECT_EQ(Body(*cache_, "a", "k"), "m|of a");
  EXPECT_EQ(Body(*cache_, "b", "k"), "m|of b");
}

TEST_F(HttpCacheTest, ExpiredEntriesAreInvisibleAndDeleted) {
  ASSERT_TRUE(Put("a", "k", "x", 1000, 2000));
  EXPECT_EQ(Body(*cache_, "a", "k", 1999), "m|x");
  EXPECT_EQ(Body(*cache_, "a", "k", 2000), "<none>");
  EXPECT_EQ(cache_->TenantBytes("a"), 0);  // the expired row was deleted
}

TEST_F(HttpCacheTest, CapEvictsLeastRecentlyUsed) {
  // Entries of 1 + 9 bytes; cap 30: three fit.
  ASSERT_TRUE(Put("a", "1", "123456789", 1, 100000, 30));
  ASSERT_TRUE(Put("a", "2", "123456789", 2, 100000, 30));
  ASSERT_TRUE(Put("a", "3", "123456789", 3, 100000, 30));
  ASSERT_TRUE(Put("b", "1", "123456789", 3, 100000, 30));  // another tenant's bytes do not count
  EXPECT_NE(Body(*cache_, "a", "1", 4), "<none>");  // 1 is now more recent than 2
  ASSERT_TRUE(Put("a", "4", "123456789", 5, 100000, 30));
  EXPECT_EQ(Body(*cache_, "a", "2", 6), "<none>");
  EXPECT_NE(Body(*cache_, "a", "1", 6), "<none>");
  EXPECT_NE(Body(*cache_, "a", "3", 6), "<none>");
  EXPECT_NE(Body(*cache_, "a", "4", 6), "<none>");
  EXPECT_NE(Body(*cache_, "b", "1", 6), "<none>");
  EXPECT_EQ(cache_->TenantBytes("a"), 30);
  EXPECT_FALSE(Put("a", "big", std::string(40, 'x'), 7, 100000, 30));  // larger than the cap alone
  EXPECT_EQ(cache_->TenantBytes("a"), 30);
}

TEST_F(HttpCacheTest, TwoHandlesShareTheFile) {
  auto other = HttpCache::Open(file());
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(Put("a", "k", "shared"));
  EXPECT_EQ(Body(**other, "a", "k"), "m|shared");
  EXPECT_TRUE(*(*other)->Delete("a", "k"));
  EXPECT_EQ(Body(*cache_, "a", "k"), "<none>");
}

}  // namespace
}  // namespace atl::cache
