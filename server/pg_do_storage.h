#pragma once
// Durable Object storage of cluster mode on PostgreSQL ([cluster] postgres; README.md "Durable
// Objects" and "Running a fleet"): the kv::DoBackend (kv/do_backend.h) each worker process's
// objects commit to. Two tables: `atoll_do_objects` holds each object's head (the highest
// fencing token seen, the last commit's seq and tag), `atoll_do_commits` its history (SQLite
// changesets, or a snapshot that replaces the commits before it). A commit is ONE statement:
// it moves the head only if its token is at least the stored one and its seq follows the head,
// and appends (and compacts) only if the head moved, so a node that lost the object can never
// write again, and two writers cannot both append the same seq. Loop thread only (PgClient).
//
//   auto storage = std::make_shared<PgDoStorage>(loop, "host=127.0.0.1 port=5432 dbname=atoll");
//   kv::DoConfig().backend = storage;

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "kv/do_backend.h"
#include "server/pg_client.h"

namespace atl::server {

extern const char* const kPgDoSchema;

// The kv::DoBackend on one PgClient (its own connection in each worker process).
class PgDoStorage final : public kv::DoBackend {
 public:
  PgDoStorage(uv_loop_t* loop, std::string conninfo, uint32_t timeout_ms = 5000);
  void Load(const kv::DoObjectKey& key, uint64_t have_seq, uint64_t have_tag, LoadDone done) override;
  void Commit(const kv::DoObjectKey& key, uint64_t fence, const kv::DoCommit& commit, CommitDone done) override;

 private:
  std::shared_ptr<PgClient> client_;
};

}  // namespace atl::server
