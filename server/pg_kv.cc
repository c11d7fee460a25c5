// Shared KV on PostgreSQL with a per-process read cache (pg_kv.h).
#include "server/pg_kv.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "base/limits.h"

namespace atl::server {
namespace {

constexpr limits::KvLimits kLimits;

}  // namespace

// Serialized by an advisory lock for the (implicit) transaction of the whole string: nodes
// starting together do not race on CREATE TABLE IF NOT EXISTS.
const char* const kPgKvSchema =
    "SELECT pg_advisory_xact_lock(7243015061);"
    "CREATE TABLE IF NOT EXISTS atoll_kv ("
    "  namespace text NOT NULL,"
    "  key bytea NOT NULL,"
    "  expiration bigint,"
    "  metadata text,"
    "  value bytea NOT NULL,"
    "  PRIMARY KEY (namespace, key));"
    "CREATE INDEX IF NOT EXISTS atoll_kv_expiration ON atoll_kv (namespace, expiration) WHERE expiration IS NOT NULL;";

void PgKvBackend::Remember(const std::string& key, Cached entry) {
  if (entry.value.size() > kCacheValueBytes) return;
  size_t bytes = key.size() + entry.value.size() + entry.metadata.size();
  if (cache_.size() >= kCacheEntries || cache_bytes_ + bytes > kCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  Forget(key);
  cache_bytes_ += bytes;
  cache_[key] = std::move(entry);
}

void PgKvBackend::Forget(std::string_view key) {
  auto it = cache_.find(absl::string_view(key.data(), key.size()));
  if (it == cache_.end()) return;
  cache_bytes_ -= it->first.size() + it->second.value.size() + it->second.metadata.size();
  cache_.erase(it);
}

void PgKvBackend::Get(std::string_view key, int64_t now, uint32_t cache_ttl_s, GetDone done) {
  auto it = cache_.find(absl::string_view(key.data(), key.size()));
  if (it != cache_.end() && Clock::now() - it->second.read_at < std::chrono::seconds(cache_ttl_s)) {
    const Cached& entry = it->second;
    if (!entry.found || (entry.expiration != 0 && entry.expiration <= now)) {
      done(static_cast<const kv::KvRow*>(nullptr));
      return;
    }
    kv::KvRow row{entry.value, entry.metadata, entry.expiration};
    done(&row);
    return;
  }
  uint64_t writes = writes_;
  client_->Query(
      "SELECT value, metadata, expiration FROM atoll_kv WHERE namespace = $1 AND key = $2 "
      "AND (expiration IS NULL OR expiration > $3)",
      {PgParam::Text(name_), PgParam::Bytes(key), PgParam::Int8(now)},
      [self = weak_from_this(), key = std::string(key), writes, done = std::move(done)](
          absl::StatusOr<PGresult*> result) mutable {
        if (!result.ok()) return done(result.status());
        PGresult* rows = *result;
        Cached entry;
        entry.read_at = Clock::now();
        entry.found = PQntuples(rows) > 0;
        if (entry.found) {
          entry.value.assign(PQgetvalue(rows, 0, 0), PQgetlength(rows, 0, 0));
          entry.metadata.assign(PQgetvalue(rows, 0, 1), PQgetlength(rows, 0, 1));
          entry.expiration = PgInt8(rows, 0, 2);
        }
        kv::KvRow row{entry.value, entry.metadata, entry.expiration};
        std::shared_ptr<PgKvBackend> backend = self.lock();
        // A write through this process since the read started may be newer than what it read.
        if (backend != nullptr && backend->writes_ == writes) {
          done(entry.found ? &row : nullptr);
          backend->Remember(key, std::move(entry));
          return;
        }
        done(entry.found ? &row : nullptr);
      });
}

void PgKvBackend::Put(std::string_view key, std::string_view value, int64_t expiration, std::string_view metadata,
                      int64_t now, WriteDone done) {
  ++writes_;
  Forget(key);
  client_->Query(
      "INSERT INTO atoll_kv (namespace, key, expiration, metadata, value) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (namespace, key) DO UPDATE SET expiration = EXCLUDED.expiration, metadata = EXCLUDED.metadata, "
      "value = EXCLUDED.value",
      {PgParam::Text(name_), PgParam::Bytes(key), expiration != 0 ? PgParam::Int8(expiration) : PgParam::Null(20),
       metadata.empty() ? PgParam::Null(25) : PgParam::Text(metadata), PgParam::Bytes(value)},
      [self = weak_from_this(), key = std::string(key), done = std::move(done)](absl::StatusOr<PGresult*> result) mutable {
        if (std::shared_ptr<PgKvBackend> backend = self.lock()) {
          ++backend->writes_;
          backend->Forget(key);
        }
        done(result.status());
      });
  // As SQLite's store: every so many puts delete a few rows that expired.
  if (++puts_since_sweep_ >= kLimits.puts_per_sweep) {
    puts_since_sweep_ = 0;
    client_->Query(
        "DELETE FROM atoll_kv WHERE ctid IN (SELECT ctid FROM atoll_kv WHERE namespace = $1 AND expiration IS NOT NULL "
        "AND expiration <= $2 LIMIT $3)",
        {PgParam::Text(name_), PgParam::Int8(now), PgParam::Int8(kLimits.sweep_rows)},
        [](absl::StatusOr<PGresult*>) {});  // cleanup only
  }
}

void PgKvBackend::Delete(std::string_view key, WriteDone done) {
  ++writes_;
  Forget(key);
  client_->Query("DELETE FROM atoll_kv WHERE namespace = $1 AND key = $2", {PgParam::Text(name_), PgParam::Bytes(key)},
                 [self = weak_from_this(), key = std::string(key), done = std::move(done)](
                     absl::StatusOr<PGresult*> result) mutable {
                   if (std::shared_ptr<PgKvBackend> backend = self.lock()) {
                     ++backend->writes_;
                     backend->Forget(key);
                   }
                   done(result.status());
                 });
}

void PgKvBackend::List(std::string_view prefix, uint32_t limit, std::string_view cursor, int64_t now, ListDone done) {
  std::string after;
  if (!cursor.empty() && !absl::WebSafeBase64Unescape(absl::string_view(cursor.data(), cursor.size()), &after)) {
    done(absl::InvalidArgumentError("invalid cursor"));
    return;
  }
  // bytea compares bytes as memcmp: the order of SQLite's BLOB keys (UTF-8 code point order).
  client_->Query(
      "SELECT key, expiration, metadata FROM atoll_kv WHERE namespace = $1 AND key >= $2 AND key > $3 "
      "AND (expiration IS NULL OR expiration > $4) ORDER BY key LIMIT $5",
      {PgParam::Text(name_), PgParam::Bytes(prefix), PgParam::Bytes(after), PgParam::Int8(now),
       PgParam::Int8(int64_t{limit} + 1)},  // one more tells whether the list is complete
      [prefix = std::string(prefix), limit, done = std::move(done)](absl::StatusOr<PGresult*> result) mutable {
        if (!result.ok()) return done(result.status());
        PGresult* rows = *result;
        kv::KvListResult page;
        for (int i = 0; i < PQntuples(rows); ++i) {
          std::string_view name(PQgetvalue(rows, i, 0), PQgetlength(rows, i, 0));
          if (!name.starts_with(prefix)) break;  // past the keys with this prefix
          if (page.keys.size() == limit) {
            page.complete = false;
            page.cursor = absl::WebSafeBase64Escape(page.keys.back().name);
            break;
          }
          page.keys.push_back({std::string(name), PgInt8(rows, i, 1),
                               std::string(PQgetvalue(rows, i, 2), PQgetlength(rows, i, 2))});
        }
        done(std::move(page));
      });
}

PgKvNamespaces::PgKvNamespaces(uv_loop_t* loop, std::string conninfo)
    : client_(std::make_shared<PgClient>(loop, std::move(conninfo), kPgKvSchema)) {}

std::shared_ptr<kv::KvBackend> PgKvNamespaces::Open(const std::string& name) {
  std::shared_ptr<kv::KvBackend>& backend = namespaces_[name];
  if (backend == nullptr) backend = std::make_shared<PgKvBackend>(client_, name);
  return backend;
}

}  // namespace atl::server
