#include "base/sqlite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace atl::base::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("atoll-sqlite-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SqliteTest, OpenSharedMakesTheFolderUsesWalAndAppliesTheSchema) {
  absl::StatusOr<sqlite3*> db = OpenShared(dir_ / "a" / "t.sqlite3", 1000, "CREATE TABLE t (k BLOB, v TEXT);", "test");
  ASSERT_TRUE(db.ok()) << db.status();
  sqlite3_stmt* mode = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(*db, "PRAGMA journal_mode", -1, &mode, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(mode), SQLITE_ROW);
  EXPECT_EQ(Column(mode, 0), "wal");
  sqlite3_finalize(mode);

  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(*db, "INSERT INTO t VALUES (?, ?)", -1, &insert, nullptr), SQLITE_OK);
  {
    Reset reset{insert};
    BindBlob(insert, 1, "");
    BindText(insert, 2, "é");
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
  }
  sqlite3_finalize(insert);
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(*db, "SELECT typeof(k), v FROM t", -1, &select, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  EXPECT_EQ(Column(select, 0), "blob") << "an empty blob, not NULL";
  EXPECT_EQ(Column(select, 1), "é");
  sqlite3_finalize(select);
  sqlite3_close(*db);
}

TEST_F(SqliteTest, ABadSchemaIsAnErrorNamingTheStoreAndTheFile) {
  absl::StatusOr<sqlite3*> db = OpenShared(dir_ / "b.sqlite3", 1000, "CREATE TABLE (", "my store");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("my store: "), std::string::npos) << db.status();
  EXPECT_NE(db.status().message().find("b.sqlite3: schema: "), std::string::npos) << db.status();
}

TEST_F(SqliteTest, PrepareAllPreparesEachStatementOrNamesTheOneThatFailed) {
  absl::StatusOr<sqlite3*> db = OpenShared(dir_ / "c.sqlite3", 1000, "CREATE TABLE IF NOT EXISTS t (k, v)", "test");
  ASSERT_TRUE(db.ok()) << db.status();
  sqlite3_stmt* get = nullptr;
  sqlite3_stmt* put = nullptr;
  EXPECT_TRUE(PrepareAll(*db, {{&get, "SELECT v FROM t WHERE k = ?1"}, {&put, "INSERT INTO t VALUES (?1, ?2)"}}, "test")
                  .ok());
  EXPECT_NE(get, nullptr);
  EXPECT_NE(put, nullptr);
  sqlite3_stmt* bad = nullptr;
  absl::Status status = PrepareAll(*db, {{&bad, "SELECT nope FROM t"}}, "my store");
  EXPECT_EQ(status.message(), "my store: SELECT nope FROM t: no such column: nope");
  for (sqlite3_stmt* s : {get, put, bad}) sqlite3_finalize(s);
  sqlite3_close(*db);
}

}  // namespace
}  // namespace atl::base::sqlite
