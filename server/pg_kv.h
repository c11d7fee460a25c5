#pragma once
// Shared KV of cluster mode ([cluster] postgres; README.md "Running a fleet"): every KV namespace
// lives in one PostgreSQL table, so that a node that dies loses no acknowledged write (a put is
// answered once PostgreSQL committed it, fsync on). Each worker process talks to PostgreSQL over
// one PgClient on its loop and keeps a read cache per namespace: get() answers from it while the
// entry is younger than the call's cacheTtl (Workers KV's option, default 60 s), so a write on
// another node (or another worker process of this node) is seen within cacheTtl: eventually
// consistent, as Workers KV. A write through this process drops its own cache entry.
//
//   PgKvNamespaces shared(loop, "host=127.0.0.1 port=5432 dbname=atoll");
//   std::shared_ptr<kv::KvBackend> store = shared.Open("hello-store");

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "kv/kv_backend.h"
#include "server/pg_client.h"

namespace atl::server {

// The table: one row per (namespace, key), the key as bytea (byte order, as SQLite's BLOBs).
extern const char* const kPgKvSchema;

// One namespace on PostgreSQL with its read cache (loop thread only).
class PgKvBackend final : public kv::KvBackend, public std::enable_shared_from_this<PgKvBackend> {
 public:
  // The cache's bounds per namespace and process: past them it is emptied; larger values are
  // not cached.
  static constexpr size_t kCacheBytes = 8u << 20;
  static constexpr size_t kCacheEntries = 4096;
  static constexpr size_t kCacheValueBytes = 1u << 20;

  PgKvBackend(std::shared_ptr<PgClient> client, std::string name) : client_(std::move(client)), name_(std::move(name)) {}
  void Get(std::string_view key, int64_t now, uint32_t cache_ttl_s, GetDone done) override;
  void Put(std::string_view key, std::string_view value, int64_t expiration, std::string_view metadata, int64_t now,
           WriteDone done) override;
  void Delete(std::string_view key, WriteDone done) override;
  void List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now, ListDone done) override;

 private:
  using Clock = std::chrono::steady_clock;
  // A key as last read from PostgreSQL (found false: there was none).
  struct Cached {
    bool found = false;
    std::string value;
    std::string metadata;
    int64_t expiration = 0;
    Clock::time_point read_at;
  };
  void Remember(const std::string& key, Cached entry);
  void Forget(std::string_view key);

  std::shared_ptr<PgClient> client_;
  std::string name_;
  absl::flat_hash_map<std::string, Cached> cache_;
  size_t cache_bytes_ = 0;
  uint64_t writes_ = 0;  // writes started through this process: a read older than one is not cached
  uint32_t puts_since_sweep_ = 0;
};

// The namespaces of one worker process, on one connection.
class PgKvNamespaces {
 public:
  PgKvNamespaces(uv_loop_t* loop, std::string conninfo);
  std::shared_ptr<kv::KvBackend> Open(const std::string& name);

 private:
  std::shared_ptr<PgClient> client_;
  absl::flat_hash_map<std::string, std::shared_ptr<kv::KvBackend>> namespaces_;
};

}  // namespace atl::server
