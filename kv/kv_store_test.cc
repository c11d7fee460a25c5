#include "kv/kv_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace atl::kv {
namespace {

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("atoll-kv-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    auto store = KvStore::Open(dir_ / "kv" / "ns.sqlite3");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // The value of `key` at `now`, or "<none>".
  std::string Value(std::string_view key, int64_t now = 1000) {
    std::string out = "<none>";
    absl::StatusOr<bool> found = store_->Get(key, now, [&](const KvRow& row) { out = std::string(row.value); });
    EXPECT_TRUE(found.ok()) << found.status();
    return out;
  }
  std::filesystem::path dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_F(KvStoreTest, PutGetDeleteRoundTrip) {
  EXPECT_EQ(Value("a"), "<none>");
  ASSERT_TRUE(store_->Put("a", "one", 0, "", 1000).ok());
  EXPECT_EQ(Value("a"), "one");
  ASSERT_TRUE(store_->Put("a", "two", 0, "", 1000).ok());
  EXPECT_EQ(Value("a"), "two");
  ASSERT_TRUE(store_->Delete("a").ok());
  EXPECT_EQ(Value("a"), "<none>");
  ASSERT_TRUE(store_->Delete("a").ok());  // deleting a missing key is fine
}

TEST_F(KvStoreTest, BinaryValuesAndKeysAndEmptyValue) {
  std::string bytes("\0\xff\x01zz", 5);
  ASSERT_TRUE(store_->Put(std::string("k\0ey", 4), bytes, 0, "", 1000).ok());
  EXPECT_EQ(Value(std::string("k\0ey", 4)), bytes);
  EXPECT_EQ(Value("k"), "<none>");
  ASSERT_TRUE(store_->Put("empty", "", 0, "", 1000).ok());
  EXPECT_EQ(Value("empty"), "");
}

TEST_F(KvStoreTest, MetadataAndExpirationComeBack) {
  ASSERT_TRUE(store_->Put("m", "v", 2000, R"({"a":1})", 1000).ok());
  std::string metadata;
  int64_t expiration = 0;
  ASSERT_TRUE(*store_->Get("m", 1000, [&](const KvRow& row) {
    metadata = std::string(row.metadata);
    expiration = row.expiration;
  }));
  EXPECT_EQ(metadata, R"({"a":1})");
  EXPECT_EQ(expiration, 2000);
}

TEST_F(KvStoreTest, ExpiredKeysAreInvisibleAndDeletedLazily) {
  ASSERT_TRUE(store_->Put("soon", "v", 1100, "", 1000).ok());
  ASSERT_TRUE(store_->Put("never", "v", 0, "", 1000).ok());
  EXPECT_EQ(Value("soon", 1099), "v");
  EXPECT_EQ(store_->List("", 10, "", 1200)->keys.size(), 1u);
  EXPECT_EQ(store_->RowCountForTesting(), 2);
  EXPECT_EQ(Value("soon", 1100), "<none>");  // expiration is exclusive
  EXPECT_EQ(store_->RowCountForTesting(), 1);
}

TEST_F(KvStoreTest, PutsSweepExpiredRows) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->Put("old" + std::to_string(i), "v", 1001, "", 1000).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store_->Put("new" + std::to_string(i), "v", 0, "", 5000).ok());
  EXPECT_EQ(store_->RowCountForTesting(), 20);
}

TEST_F(KvStoreTest, ListIsInByteOrderWithPrefixAndCursor) {
  for (const char* key : {"b/2", "a", "b/1", "b/3", "c", "b", "\xc3\xa9", "b/10"}) {
    ASSERT_TRUE(store_->Put(key, "v", 0, key[0] == 'c' ? "{\"m\":true}" : "", 1000).ok());
  }
  absl::StatusOr<KvListResult> all = store_->List("", 1000, "", 1000);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (auto& key : all->keys) names.push_back(key.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "b/1", "b/10", "b/2", "b/3", "c", "\xc3\xa9"}));
  EXPECT_TRUE(all->complete);
  EXPECT_EQ(all->cursor, "");
  EXPECT_EQ(all->keys[6].metadata, "{\"m\":true}");

  absl::StatusOr<KvListResult> page = store_->List("b/", 2, "", 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->keys.size(), 2u);
  EXPECT_EQ(page->keys[0].name, "b/1");
  EXPECT_EQ(page->keys[1].name, "b/10");
  EXPECT_FALSE(page->complete);
  page = store_->List("b/", 2, page->cursor, 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->keys.size(), 2u);
  EXPECT_EQ(page->keys[0].name, "b/2");
  EXPECT_EQ(page->keys[1].name, "b/3");
  EXPECT_TRUE(page->complete);  // exactly `limit` left: the extra row tells it is the end
  EXPECT_FALSE(store_->List("", 2, "!!not base64!!", 1000).ok());
}

TEST_F(KvStoreTest, CommittedPutsSurviveReopening) {
  ASSERT_TRUE(store_->Put("durable", "yes", 0, "", 1000).ok());
  store_.reset();
  auto reopened = KvStore::Open(dir_ / "kv" / "ns.sqlite3");
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(*reopened);
  EXPECT_EQ(Value("durable"), "yes");
}

TEST(KvRegistry, SameNameSameStore) {
  auto dir = std::filesystem::temp_directory_path() / ("atoll-kv-registry-" + std::to_string(getpid()));
  {
    KvRegistry registry(dir);
    auto a = registry.Open("shared");
    auto b = registry.Open("shared");
    auto c = registry.Open("other");
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(a->get(), b->get());
    EXPECT_NE(a->get(), c->get());
    EXPECT_TRUE(std::filesystem::exists(dir / "kv" / "shared.sqlite3"));
    EXPECT_FALSE(KvRegistry("").Open("x").ok());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace atl::kv
