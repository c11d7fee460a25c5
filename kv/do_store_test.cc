// kv::DoStore (one Durable Object's SQLite database), kv::ObjectPlacement and kv::AlarmIndex.
#include "kv/do_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace atl::kv {
namespace {

std::filesystem::path TempDir() {
  return std::filesystem::temp_directory_path() /
         ("atoll-do-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
          std::to_string(getpid()));
}

SqlValue Text(std::string text) {
  SqlValue value;
  value.type = SqlValue::kText;
  value.bytes = std::move(text);
  return value;
}

SqlValue Integer(int64_t n) {
  SqlValue value;
  value.type = SqlValue::kInteger;
  value.integer = n;
  return value;
}

TEST(DoStore, StatementsBindingsAndRows) {
  std::filesystem::path dir = TempDir();
  std::filesystem::remove_all(dir);
  auto store = DoStore::Open(dir / "a" / "C" / "id.sqlite3", 1 << 20);
  ASSERT_TRUE(store.ok()) << store.status();
  SqlResult r;
  // Several statements: bindings are consumed in order, the last statement's rows come back.
  ASSERT_TRUE((*store)->Exec("CREATE TABLE t(k TEXT, v INTEGER); INSERT INTO t VALUES (?, ?), (?, ?);  SELECT k, v FROM t ORDER BY v",
                             {Text("a"), Integer(1), Text("b"), Integer(2)}, &r).ok());
  ASSERT_EQ(r.columns, (std::vector<std::string>{"k", "v"}));
  ASSERT_EQ(r.cells.size(), 4u);
  EXPECT_EQ(r.cells[2].bytes, "b");
  EXPECT_EQ(r.cells[3].integer, 2);
  EXPECT_EQ(r.rows_written, 2);
  EXPECT_EQ(r.rows_read, 2);
  // A cached statement answers again with new bindings.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE((*store)->Exec("SELECT v FROM t WHERE k = ?", {Text(i == 0 ? "a" : "b")}, &r).ok());
    EXPECT_EQ(r.cells.at(0).integer, i + 1);
  }
  EXPECT_FALSE((*store)->Exec("SELECT ?", {}, &r).ok()) << "too few bindings";
  EXPECT_FALSE((*store)->Exec("SELECT 1", {Integer(1)}, &r).ok()) << "too many";
  EXPECT_FALSE((*store)->Exec("SELEC 1", {}, &r).ok());
  EXPECT_GT((*store)->Size(), 0);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(DoStore, StorageLimitIsEnforced) {
  std::filesystem::path dir = TempDir();
  std::filesystem::remove_all(dir);
  auto store = DoStore::Open(dir / "x.sqlite3", 64 * 1024);
  ASSERT_TRUE(store.ok()) << store.status();
  SqlResult r;
  ASSERT_TRUE((*store)->Exec("CREATE TABLE big(b BLOB)", {}, &r).ok());
  SqlValue blob;
  blob.type = SqlValue::kBlob;
  blob.bytes.assign(16 * 1024, 'x');
  absl::Status status;
  for (int i = 0; i < 10 && status.ok(); ++i) status = (*store)->Exec("INSERT INTO big VALUES (?)", {blob}, &r);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(ObjectPlacement, EveryIdHasOneOwnerInRange) {
  DoConfig().workers = 3;
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 300; ++i) {
    std::string id = std::to_string(i);
    uint32_t owner = ObjectPlacement::Owner(id);
    ASSERT_LT(owner, 3u);
    EXPECT_EQ(ObjectPlacement::Owner(id), owner) << "the same answer every time";
    ++counts[owner];
  }
  for (int count : counts) EXPECT_GT(count, 50) << "spread over the processes";
  DoConfig().workers = 1;
}

TEST(ObjectPlacement, FenceIsOneOnASingleNodeAndWhatTheClusterHookSays) {
  EXPECT_EQ(ObjectPlacement::Fence("t", "Counter", "ab"), 1u);
  DoConfig().fence = [](std::string_view tenant, std::string_view class_name, std::string_view id) -> uint64_t {
    return tenant == "t" && class_name == "Counter" && id == "ab" ? 42 : 0;
  };
  EXPECT_EQ(ObjectPlacement::Fence("t", "Counter", "ab"), 42u);
  EXPECT_EQ(ObjectPlacement::Fence("t", "Counter", "cd"), 0u) << "not owned here";
  DoConfig().fence = nullptr;
}

}  // namespace
}  // namespace atl::kv
