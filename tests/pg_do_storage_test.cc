// Durable Object storage on PostgreSQL (server/pg_do_storage.h) with journaled local copies
// (kv/do_store.h, kv/do_journal.cc), in-process against a real PostgreSQL 15
// (tests/postgres_fixture.h): fenced commits (token 2 commits, a later token 1 is refused, token 3
// commits), a second writer that missed a commit is refused, restore into an empty file gives
// exactly the committed state, incremental catch-up of an older copy, compaction into snapshots
// (schema changes, tables without PRIMARY KEY), and a local copy ahead of PostgreSQL (a commit
// never acknowledged) rebuilt to what PostgreSQL holds.
#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kv/do_store.h"
#include "server/pg_do_storage.h"
#include "tests/postgres_fixture.h"

namespace atl::testing {
namespace {

using kv::DoCommit;
using kv::DoStore;
using kv::SqlResult;
using kv::SqlValue;

class PgDoStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg_.Start()) << pg_.log();
    uv_loop_init(&loop_);
    storage_ = std::make_unique<server::PgDoStorage>(&loop_, pg_.conninfo());
    char pattern[] = "/tmp/atoll-pgdo-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    storage_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_loop_close(&loop_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs the loop until `done()` (a ticking timer keeps it polling PostgreSQL's socket).
  void RunUntil(const std::function<bool()>& done) {
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    uv_timer_start(&tick, [](uv_timer_t*) {}, 5, 5);
    for (int i = 0; i < 4000 && !done(); ++i) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  absl::StatusOr<kv::DoHistory> Load(const kv::DoObjectKey& key, uint64_t seq, uint64_t tag) {
    std::optional<absl::StatusOr<kv::DoHistory>> out;
    storage_->Load(key, seq, tag, [&](absl::StatusOr<kv::DoHistory> h) { out = std::move(h); });
    RunUntil([&] { return out.has_value(); });
    return out.value_or(absl::DeadlineExceededError("no answer"));
  }
  absl::Status Commit(const kv::DoObjectKey& key, uint64_t fence, const DoCommit& commit) {
    std::optional<absl::Status> out;
    storage_->Commit(key, fence, commit, [&](absl::Status s) { out = std::move(s); });
    RunUntil([&] { return out.has_value(); });
    return out.value_or(absl::DeadlineExceededError("no answer"));
  }
  // A journaled store at `file`, caught up with PostgreSQL.
  std::unique_ptr<DoStore> OpenCaughtUp(const std::string& file, const kv::DoObjectKey& key) {
    absl::StatusOr<std::unique_ptr<DoStore>> store = DoStore::Open(dir_ + "/" + file, 1 << 30, true);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    absl::StatusOr<kv::DoHistory> history = Load(key, (*store)->synced_seq(), (*store)->synced_tag());
    EXPECT_TRUE(history.ok()) << history.status();
    if (!history.ok()) return nullptr;
    absl::Status caught = (*store)->CatchUp(*history);
    EXPECT_TRUE(caught.ok()) << caught;
    return caught.ok() ? *std::move(store) : nullptr;
  }

  PostgresServer pg_;
  uv_loop_t loop_;
  std::unique_ptr<server::PgDoStorage> storage_;
  std::string dir_;
};

void Sql(DoStore* store, const std::string& sql, std::vector<SqlValue> bindings = {}) {
  SqlResult result;
  absl::Status status = store->Exec(sql, bindings, &result);
  ASSERT_TRUE(status.ok()) << sql << ": " << status;
}

SqlValue Text(const std::string& text) {
  SqlValue value;
  value.type = SqlValue::kText;
  value.bytes = text;
  return value;
}

// Every table (but the journal's) and its rows, in order: what "the same state" means.
std::string Dump(DoStore* store) {
  SqlResult tables;
  EXPECT_TRUE(store->Exec("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name <> '_atoll_sync' ORDER BY name",
                          {}, &tables)
                  .ok());
  std::string out;
  for (size_t i = 0; i + 1 < tables.cells.size(); i += 2) {
    out += tables.cells[i + 1].bytes + "\n";
    SqlResult rows;
    EXPECT_TRUE(store->Exec("SELECT * FROM \"" + tables.cells[i].bytes + "\" ORDER BY 1", {}, &rows).ok());
    for (const SqlValue& cell : rows.cells) {
      out += cell.type == SqlValue::kInteger ? std::to_string(cell.integer) : cell.bytes;
      out += "|";
    }
    out += "\n";
  }
  return out;
}

DoCommit Take(DoStore* store, uint32_t snapshot_changes = 1000) {
  absl::StatusOr<std::optional<DoCommit>> commit = store->TakeCommit(snapshot_changes, 8u << 20);
  EXPECT_TRUE(commit.ok()) << commit.status();
  EXPECT_TRUE(commit.ok() && commit->has_value()) << "nothing to commit";
  return commit.ok() && commit->has_value() ? **commit : DoCommit();
}

TEST_F(PgDoStorageTest, AStaleFenceIsRefusedAndRestoreGivesExactlyTheCommittedState) {
  kv::DoObjectKey key{"t", "Counter", "0001"};
  std::unique_ptr<DoStore> a = OpenCaughtUp("a.sqlite3", key);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->synced_seq(), 0u);
  absl::StatusOr<std::optional<DoCommit>> nothing = a->TakeCommit(1000, 8u << 20);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value()) << "no change, no commit";

  Sql(a.get(), "INSERT INTO _cf_KV(key, value) VALUES ('n', '1')");
  DoCommit first = Take(a.get());
  EXPECT_EQ(first.seq, 1u);
  EXPECT_FALSE(first.snapshot) << "a changeset";
  ASSERT_TRUE(Commit(key, 2, first).ok()) << "token 2 commits";

  Sql(a.get(), "INSERT OR REPLACE INTO _cf_KV(key, value) VALUES ('n', '2')");
  DoCommit second = Take(a.get());
  absl::Status stale = Commit(key, 1, second);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition) << stale;
  EXPECT_NE(stale.message().find("fencing token 1 is lower than the object's 2"), std::string::npos) << stale;
  EXPECT_EQ(pg_.Psql("SELECT fence, seq FROM atoll_do_objects"), "2|1\n") << "the refused commit changed nothing";
  EXPECT_EQ(pg_.Psql("SELECT count(*) FROM atoll_do_commits"), "1\n");
  ASSERT_TRUE(Commit(key, 3, second).ok()) << "token 3 commits";
  EXPECT_EQ(pg_.Psql("SELECT fence, seq FROM atoll_do_objects"), "3|2\n");

  // A writer restored from PostgreSQL, and the first one, both at commit 2: whichever commits 3
  // first wins; the other is refused even with a token as high.
  std::unique_ptr<DoStore> b = OpenCaughtUp("b.sqlite3", key);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->synced_seq(), 2u);
  EXPECT_EQ(Dump(b.get()), Dump(a.get())) << "restore gives exactly the committed state";
  Sql(b.get(), "INSERT OR REPLACE INTO _cf_KV(key, value) VALUES ('n', 'b3')");
  ASSERT_TRUE(Commit(key, 4, Take(b.get())).ok());
  Sql(a.get(), "INSERT OR REPLACE INTO _cf_KV(key, value) VALUES ('n', 'a3')");
  absl::Status lost = Commit(key, 4, Take(a.get()));
  EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition) << lost;
  EXPECT_NE(lost.message().find("commit 3 does not follow the stored head 3"), std::string::npos) << lost;

  // The loser's copy holds a commit PostgreSQL never took: reopened, it is rebuilt to B's state.
  std::string b_state = Dump(b.get());
  a.reset();
  std::unique_ptr<DoStore> again = OpenCaughtUp("a.sqlite3", key);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Dump(again.get()), b_state);
  EXPECT_NE(b_state.find("b3"), std::string::npos);
  EXPECT_EQ(again->synced_seq(), 3u);
}

TEST_F(PgDoStorageTest, SchemaChangesTablesWithoutKeysAndCompactionRestoreExactly) {
  kv::DoObjectKey key{"t", "Room", "0002"};
  std::unique_ptr<DoStore> a = OpenCaughtUp("a.sqlite3", key);
  ASSERT_NE(a, nullptr);
  // An older copy, left at commit 2 to catch up incrementally later.
  Sql(a.get(), "CREATE TABLE msgs(id INTEGER PRIMARY KEY, body TEXT)");
  DoCommit created = Take(a.get());
  EXPECT_TRUE(created.snapshot) << "a schema change is a snapshot";
  ASSERT_TRUE(Commit(key, 1, created).ok());
  Sql(a.get(), "INSERT INTO msgs(body) VALUES ('one')");
  DoCommit one = Take(a.get());
  EXPECT_FALSE(one.snapshot);
  ASSERT_TRUE(Commit(key, 1, one).ok());
  std::unique_ptr<DoStore> old = OpenCaughtUp("old.sqlite3", key);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->synced_seq(), 2u);
  old.reset();

  // Changesets until the fourth since the snapshot, which compacts; then a table without key.
  for (int i = 0; i < 5; ++i) {
    Sql(a.get(), "INSERT INTO msgs(body) VALUES (?)", {Text("m" + std::to_string(i))});
    Sql(a.get(), "UPDATE msgs SET body = body || '!' WHERE id = 1");
    DoCommit commit = Take(a.get(), /*snapshot_changes=*/4);
    ASSERT_TRUE(Commit(key, 1, commit).ok()) << i;
    EXPECT_EQ(commit.snapshot, i == 2) << i;
  }
  EXPECT_EQ(pg_.Psql("SELECT string_agg(seq::text || ':' || snapshot::text, ',' ORDER BY seq) FROM atoll_do_commits"),
            "5:true,6:false,7:false\n")
      << "the snapshot dropped the commits before it";
  // Incremental: a copy at the head takes the next commit alone (the history sends no data for
  // the commits it holds, so a rebuild would fail); the copy left at commit 2, before the
  // snapshot, is rebuilt from it.
  ASSERT_NE(OpenCaughtUp("mid.sqlite3", key), nullptr);
  Sql(a.get(), "INSERT INTO msgs(body) VALUES ('next')");
  DoCommit eighth = Take(a.get());
  EXPECT_FALSE(eighth.snapshot);
  ASSERT_TRUE(Commit(key, 1, eighth).ok());
  std::unique_ptr<DoStore> mid = OpenCaughtUp("mid.sqlite3", key);
  ASSERT_NE(mid, nullptr);
  EXPECT_EQ(mid->synced_seq(), 8u);
  EXPECT_EQ(Dump(mid.get()), Dump(a.get()));
  std::unique_ptr<DoStore> caught = OpenCaughtUp("old.sqlite3", key);
  ASSERT_NE(caught, nullptr);
  EXPECT_EQ(Dump(caught.get()), Dump(a.get())) << "the copy left at commit 2";

  // A table without PRIMARY KEY: every commit is a snapshot from then on.
  Sql(a.get(), "CREATE TABLE log(line TEXT)");
  Sql(a.get(), "INSERT INTO log VALUES ('x'), ('y')");
  ASSERT_TRUE(Commit(key, 1, Take(a.get())).ok());
  Sql(a.get(), "INSERT INTO log VALUES ('z')");
  DoCommit pkless = Take(a.get());
  EXPECT_TRUE(pkless.snapshot) << "the session extension does not see a table without PRIMARY KEY";
  ASSERT_TRUE(Commit(key, 1, pkless).ok());
  Sql(a.get(), "DELETE FROM msgs WHERE id = 2");
  Sql(a.get(), "INSERT INTO _cf_KV(key, value) VALUES ('k', x'00ff')");
  ASSERT_TRUE(Commit(key, 1, Take(a.get())).ok());
  std::string expected = Dump(a.get());
  EXPECT_NE(expected.find("z|"), std::string::npos);
  std::unique_ptr<DoStore> fresh = OpenCaughtUp("fresh.sqlite3", key);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(Dump(fresh.get()), expected);
  EXPECT_EQ(pg_.Psql("SELECT count(*) FROM atoll_do_commits"), "1\n") << "compacted to the last snapshot";
}

TEST_F(PgDoStorageTest, TransactionStatementsAreRefusedAndUnsentWritesRollBack) {
  kv::DoObjectKey key{"t", "X", "0003"};
  std::unique_ptr<DoStore> a = OpenCaughtUp("a.sqlite3", key);
  ASSERT_NE(a, nullptr);
  SqlResult result;
  for (const char* sql : {"BEGIN", "COMMIT", "ROLLBACK", "END"}) {
    absl::Status refused = a->Exec(sql, {}, &result);
    EXPECT_FALSE(refused.ok()) << sql;
  }
  Sql(a.get(), "SAVEPOINT s; INSERT INTO _cf_KV(key, value) VALUES ('a', '1'); RELEASE s");
  ASSERT_TRUE(Commit(key, 1, Take(a.get())).ok());
  Sql(a.get(), "INSERT INTO _cf_KV(key, value) VALUES ('b', '2')");  // never taken
  a.reset();
  std::unique_ptr<DoStore> b = OpenCaughtUp("a.sqlite3", key);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Exec("SELECT key FROM _cf_KV ORDER BY key", {}, &result).ok());
  ASSERT_EQ(result.cells.size(), 1u);
  EXPECT_EQ(result.cells[0].bytes, "a");
}

}  // namespace
}  // namespace atl::testing
