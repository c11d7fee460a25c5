// server/etcd_client against a real etcd 3.4 on loopback (tests/etcd_fixture.h): every call of
// the v3 JSON gateway the control plane uses, the watch stream, compaction and etcd going away.
#include "server/etcd_client.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>

#include "config/cluster_layout.h"
#include "tests/etcd_loop_test.h"

namespace atl::server {
namespace {


class EtcdClientTest : public testing::EtcdLoopTest {
 protected:
  // Runs the loop until `done` or 10 s (a failure if it timed out).
  void RunUntil(const std::function<bool()>& done) { ASSERT_TRUE(testing::RunLoopUntil(&loop_, done)) << "timed out"; }
  template <typename T>
  absl::StatusOr<T> Wait(const std::function<void(EtcdClient::Callback<T>)>& start) {
    std::optional<absl::StatusOr<T>> result;
    start([&](absl::StatusOr<T> r) { result = std::move(r); });
    RunUntil([&] { return result.has_value(); });
    return result ? *result : absl::StatusOr<T>(absl::DeadlineExceededError("no answer"));
  }
};

TEST_F(EtcdClientTest, ParsesUrls) {
  EXPECT_EQ(EtcdClient::ParseUrl("http://127.0.0.1:2380/")->port, 2380);
  EXPECT_EQ(EtcdClient::ParseUrl("http://etcd")->port, 2379);
  EXPECT_FALSE(EtcdClient::ParseUrl("https://x:1").ok());
  EXPECT_FALSE(EtcdClient::ParseUrl("http://x:99999").ok());
}

TEST_F(EtcdClientTest, PutRangeTxnDelete) {
  std::string binary("v\0\xff\n\"", 5);
  absl::StatusOr<int64_t> rev = Wait<int64_t>([&](auto cb) { client_->Put("/t/a", binary, 0, cb); });
  ASSERT_TRUE(rev.ok()) << rev.status();
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->Put("/t/b", "2", 0, cb); }).ok());
  absl::StatusOr<EtcdClient::RangeResult> range =
      Wait<EtcdClient::RangeResult>([&](auto cb) { client_->Range("/t/", config::PrefixEnd("/t/"), cb); });
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, "/t/a");
  EXPECT_EQ(range->kvs[0].value, binary);
  EXPECT_EQ(range->kvs[0].mod_revision, *rev);
  EXPECT_GT(range->revision, *rev);
  // Compare-and-put on the mod revision: the current one wins, a stale one gets the key as it is.
  absl::StatusOr<EtcdClient::TxnResult> ok = Wait<EtcdClient::TxnResult>([&](auto cb) { client_->PutIfModRevision("/t/a", "x", *rev, cb); });
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->succeeded);
  absl::StatusOr<EtcdClient::TxnResult> stale = Wait<EtcdClient::TxnResult>([&](auto cb) { client_->PutIfModRevision("/t/a", "y", *rev, cb); });
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->succeeded);
  ASSERT_TRUE(stale->current.has_value());
  EXPECT_EQ(stale->current->mod_revision, ok->revision);
  EXPECT_EQ(stale->current->value, "x");
  // 0: only if absent.
  EXPECT_FALSE(Wait<EtcdClient::TxnResult>([&](auto cb) { client_->PutIfModRevision("/t/a", "z", 0, cb); })->succeeded);
  EXPECT_TRUE(Wait<EtcdClient::TxnResult>([&](auto cb) { client_->PutIfModRevision("/t/new", "z", 0, cb); })->succeeded);
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->DeleteRange("/t/", config::PrefixEnd("/t/"), cb); }).ok());
  EXPECT_TRUE(Wait<EtcdClient::RangeResult>([&](auto cb) { client_->Range("/t/a", "", cb); })->kvs.empty());
}

TEST_F(EtcdClientTest, LeasesExpireUnlessKeptAlive) {
  absl::StatusOr<int64_t> lease = Wait<int64_t>([&](auto cb) { client_->LeaseGrant(2, cb); });
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->Put("/n/me", "up", *lease, cb); }).ok());
  EXPECT_EQ(Wait<EtcdClient::RangeResult>([&](auto cb) { client_->Range("/n/me", "", cb); })->kvs.at(0).lease, *lease);
  absl::StatusOr<int64_t> ttl = Wait<int64_t>([&](auto cb) { client_->LeaseKeepAlive(*lease, cb); });
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(*ttl, 2);
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->LeaseRevoke(*lease, cb); }).ok());
  EXPECT_TRUE(Wait<EtcdClient::RangeResult>([&](auto cb) { client_->Range("/n/me", "", cb); })->kvs.empty());
  EXPECT_TRUE(absl::IsNotFound(Wait<int64_t>([&](auto cb) { client_->LeaseKeepAlive(*lease, cb); }).status()));
}

class Recorder : public EtcdClient::WatchHandler {
 public:
  void OnWatchStarted() override { started = true; }
  void OnEvents(int64_t revision, std::vector<EtcdClient::WatchEvent> batch) override {
    for (auto& e : batch) events.push_back(std::move(e));
  }
  void OnCompacted(int64_t revision) override { compacted = revision; }
  void OnWatchError(const absl::Status& e) override { error = e; }
  bool started = false;
  std::vector<EtcdClient::WatchEvent> events;
  int64_t compacted = 0;
  absl::Status error;
};

TEST_F(EtcdClientTest, WatchStreamsFromARevisionAndReportsCompaction) {
  int64_t first = *Wait<int64_t>([&](auto cb) { client_->Put("/w/a", "1", 0, cb); });
  Recorder recorder;
  EtcdClient::Watch* watch = client_->StartWatch("/w/", config::PrefixEnd("/w/"), first, &recorder);
  RunUntil([&] { return recorder.events.size() == 1; });  // the put before the watch, replayed
  EXPECT_TRUE(recorder.started);
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->Put("/w/b", "2", 0, cb); }).ok());
  ASSERT_TRUE(Wait<int64_t>([&](auto cb) { client_->DeleteRange("/w/a", "", cb); }).ok());
  RunUntil([&] { return recorder.events.size() == 3; });
  EXPECT_EQ(recorder.events[0].kv.key, "/w/a");
  EXPECT_EQ(recorder.events[1].kv.value, "2");
  EXPECT_TRUE(recorder.events[2].deleted);
  EXPECT_FALSE(recorder.events[1].deleted);
  client_->CancelWatch(watch);
  // A watch from a compacted revision is told so.
  int64_t now = *Wait<int64_t>([&](auto cb) { client_->Put("/w/c", "3", 0, cb); });
  ASSERT_FALSE(etcd_.Post("/v3/kv/compaction", "{\"revision\":\"" + std::to_string(now) + "\"}").empty());
  Recorder late;
  client_->StartWatch("/w/", config::PrefixEnd("/w/"), first, &late);
  RunUntil([&] { return late.compacted != 0; });
  EXPECT_EQ(late.compacted, now);
  // etcd going away ends a watch with an error.
  Recorder broken;
  client_->StartWatch("/w/", config::PrefixEnd("/w/"), now + 1, &broken);
  RunUntil([&] { return broken.started; });
  etcd_.Stop();
  RunUntil([&] { return !broken.error.ok(); });
  EXPECT_TRUE(absl::IsUnavailable(broken.error)) << broken.error;
  EXPECT_TRUE(absl::IsUnavailable(Wait<int64_t>([&](auto cb) { client_->Put("/w/d", "4", 0, cb); }).status()));
}

}  // namespace
}  // namespace atl::server
