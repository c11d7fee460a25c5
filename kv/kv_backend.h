#pragma once
// The seam between the Workers KV binding (bindings/kv.cc) and where a namespace's rows live.
// A backend answers each call through its `done` callback, once: the SQLite store
// (SqliteKvBackend) calls it before returning, on the caller's thread; the PostgreSQL backend of
// cluster mode (server/pg_kv.h) calls it later, from the event loop of the worker process (the JS
// thread), when the database answered, or before returning for a read its cache answers. The
// binding returns the value at once when `done` ran before the call returned, and otherwise
// settles a promise later (Worker::BeginHostCall), so the same JS runs on both.
//
//   backend->Get(key, KvNow(), /*cache_ttl_s=*/60, [](absl::StatusOr<const KvRow*> row) { ... });

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kv/kv_store.h"

namespace atl::kv {

class KvBackend {
 public:
  // The row (its views valid during the call only), null when there is none, or an error.
  using GetDone = absl::AnyInvocable<void(absl::StatusOr<const KvRow*>)>;
  using WriteDone = absl::AnyInvocable<void(absl::Status)>;
  using ListDone = absl::AnyInvocable<void(absl::StatusOr<KvListResult>)>;

  virtual ~KvBackend() = default;
  // Every string_view argument is read during the call only (a backend that answers later copies).
  // `cache_ttl_s`: how stale a value read from a node-local cache may be (Workers KV's
  // cacheTtl); a backend without a cache ignores it.
  virtual void Get(std::string_view key, int64_t now, uint32_t cache_ttl_s, GetDone done) = 0;
  // `expiration` 0: never; `metadata` empty: none. `done` means committed.
  virtual void Put(std::string_view key, std::string_view value, int64_t expiration, std::string_view metadata,
                   int64_t now, WriteDone done) = 0;
  virtual void Delete(std::string_view key, WriteDone done) = 0;
  // As KvStore::List; an invalid cursor is InvalidArgument.
  virtual void List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now, ListDone done) = 0;
};

// The embedded single-node default: a KvStore (one SQLite file per namespace), every call
// answered synchronously, exactly as the store answers it.
class SqliteKvBackend final : public KvBackend {
 public:
  explicit SqliteKvBackend(std::shared_ptr<KvStore> store) : store_(std::move(store)) {}
  void Get(std::string_view key, int64_t now, uint32_t cache_ttl_s, GetDone done) override;
  void Put(std::string_view key, std::string_view value, int64_t expiration, std::string_view metadata, int64_t now,
           WriteDone done) override;
  void Delete(std::string_view key, WriteDone done) override;
  void List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now, ListDone done) override;
  KvStore* store() const { return store_.get(); }

 private:
  std::shared_ptr<KvStore> store_;
};

}  // namespace atl::kv
