#pragma once
// A client of etcd 3.4's v3 JSON gateway (grpc-gateway: POST /v3/kv/range, /v3/kv/put,
// /v3/kv/txn, /v3/kv/deleterange, /v3/lease/{grant,keepalive,revoke}, and /v3/watch as one
// streamed response of JSON messages), spoken through the project's HttpClient on the uv loop.
// Keys and values are base64 in the JSON, plain bytes here; int64s arrive as strings. Every
// answer goes to its callback on the loop, once; none after Shutdown().
//
//   EtcdClient etcd(loop, *EtcdClient::ParseUrl("http://127.0.0.1:2379"));
//   etcd.Range("/atoll/tenants/", PrefixEnd("/atoll/tenants/"), [](absl::StatusOr<EtcdClient::RangeResult> r) { ... });
//   EtcdClient::Watch* w = etcd.StartWatch(prefix, end, r->revision + 1, &handler);

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "server/http_client.h"

namespace atl::server {

class EtcdClient {
 public:
  struct Endpoint {
    std::string host;  // an IP literal or a name
    uint16_t port = 2379;
  };
  struct KeyValue {
    std::string key, value;
    int64_t create_revision = 0, mod_revision = 0, lease = 0;
  };
  struct RangeResult {
    int64_t revision = 0;  // the store's revision the range was read at
    std::vector<KeyValue> kvs;
  };
  struct TxnResult {
    bool succeeded = false;
    int64_t revision = 0;               // the store's revision after the transaction
    std::optional<KeyValue> current;    // on failure: the compared key as it is (none: absent)
  };
  struct WatchEvent {
    bool deleted = false;
    KeyValue kv;  // for a delete: the key and the revision of the delete (mod_revision)
  };
  // Events of one watch, on the loop. After OnCompacted or OnError the watch is over (the
  // handler may start another from then on).
  class WatchHandler {
   public:
    virtual ~WatchHandler() = default;
    virtual void OnWatchStarted() {}
    virtual void OnEvents(int64_t revision, std::vector<WatchEvent> events) = 0;
    // start_revision was compacted away: list again, then watch from the list's revision + 1.
    virtual void OnCompacted(int64_t compact_revision) = 0;
    virtual void OnWatchError(const absl::Status& error) = 0;
  };
  class Watch;  // etcd_client.cc

  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  // "http://HOST:PORT" (https is not supported yet).
  static absl::StatusOr<Endpoint> ParseUrl(std::string_view url);

  EtcdClient(uv_loop_t* loop, Endpoint endpoint);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Keys in [key, range_end) (range_end empty: `key` alone).
  void Range(const std::string& key, const std::string& range_end, Callback<RangeResult> done);
  // The store's revision after the put. `lease` 0: none.
  void Put(const std::string& key, const std::string& value, int64_t lease, Callback<int64_t> done);
  // Puts only if the key's mod_revision is `mod_revision` (0: the key must not exist).
  void PutIfModRevision(const std::string& key, const std::string& value, int64_t mod_revision, Callback<TxnResult> done);
  // A general transaction: `success` runs if every comparison holds (each is EQUAL), else the
  // first comparison's key is read into TxnResult::current. The control plane's fenced writes.
  struct Compare {
    enum class Target { kCreate, kMod, kValue } target = Target::kCreate;
    std::string key;
    int64_t revision = 0;  // kCreate, kMod (0 with kCreate: the key does not exist)
    std::string value;     // kValue
  };
  struct TxnOp {
    bool deleted = false;  // a delete of `key`, else a put
    std::string key, value;
    int64_t lease = 0;
  };
  void Txn(const std::vector<Compare>& compare, const std::vector<TxnOp>& success, Callback<TxnResult> done);
  // Deletes [key, range_end); the store's revision after it.
  void DeleteRange(const std::string& key, const std::string& range_end, Callback<int64_t> done);
  // A lease of `ttl_s` seconds: its id.
  void LeaseGrant(int64_t ttl_s, Callback<int64_t> done);
  // The lease's remaining TTL; NotFound if it expired.
  void LeaseKeepAlive(int64_t id, Callback<int64_t> done);
  // The lease's remaining TTL in whole seconds (rounded down by etcd), without renewing it;
  // NotFound if it expired.
  void LeaseTimeToLive(int64_t id, Callback<int64_t> done);
  void LeaseRevoke(int64_t id, Callback<int64_t> done);

  // Watches [key, range_end) from `start_revision` on. The handler must outlive the watch.
  Watch* StartWatch(const std::string& key, const std::string& range_end, int64_t start_revision, WatchHandler* handler);
  // No more events from `watch` (its connection is closed).
  void CancelWatch(Watch* watch);

  // Cancels everything in flight; no callback runs afterwards.
  void Shutdown();

 private:
  class Call;
  friend class Call;
  friend class Watch;
  void Post(const std::string& path, std::string body, std::function<void(absl::StatusOr<std::string>)> done);
  OutboundRequest Request(const std::string& path, std::string body) const;
  void Finished(Call* call);
  void Finished(Watch* watch);

  Endpoint endpoint_;
  HttpClient http_;
  absl::flat_hash_set<Call*> calls_;
  absl::flat_hash_set<Watch*> watches_;
  bool shut_down_ = false;
};

}  // namespace atl::server
