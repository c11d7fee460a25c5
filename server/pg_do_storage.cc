// Durable Object storage of cluster mode on PostgreSQL (pg_do_storage.h).
#include "server/pg_do_storage.h"

#include <utility>

#include "base/strings.h"

namespace atl::server {

// Under an advisory lock (nodes starting together do not race on CREATE TABLE IF NOT EXISTS).
const char* const kPgDoSchema =
    "SELECT pg_advisory_xact_lock(7243015062);"
    "CREATE TABLE IF NOT EXISTS atoll_do_objects ("
    "  tenant text NOT NULL, class text NOT NULL, id text NOT NULL,"
    "  fence bigint NOT NULL, seq bigint NOT NULL, tag bigint NOT NULL,"
    "  PRIMARY KEY (tenant, class, id));"
    "CREATE TABLE IF NOT EXISTS atoll_do_commits ("
    "  tenant text NOT NULL, class text NOT NULL, id text NOT NULL,"
    "  seq bigint NOT NULL, tag bigint NOT NULL, snapshot boolean NOT NULL, data bytea NOT NULL,"
    "  PRIMARY KEY (tenant, class, id, seq));";

namespace {

// $1 tenant, $2 class, $3 id, $4 fence, $5 seq, $6 tag, $7 snapshot (0/1), $8 data. The head
// moves (or is created, for commit 1) only when the fence and the seq allow it; the commit is
// appended and, for a snapshot, the history before it dropped, only if it did. The answer: 1 if
// appended, and the head as it was before.
constexpr const char* kCommit =
    "WITH moved AS ("
    "  UPDATE atoll_do_objects SET fence = $4, seq = $5, tag = $6"
    "  WHERE tenant = $1 AND class = $2 AND id = $3 AND fence <= $4 AND seq = $5 - 1 RETURNING 1),"
    " created AS ("
    "  INSERT INTO atoll_do_objects (tenant, class, id, fence, seq, tag)"
    "  SELECT $1, $2, $3, $4, $5, $6 WHERE $5 = 1"
    "  AND NOT EXISTS (SELECT 1 FROM atoll_do_objects WHERE tenant = $1 AND class = $2 AND id = $3)"
    "  ON CONFLICT DO NOTHING RETURNING 1),"
    " ok AS (SELECT 1 FROM moved UNION ALL SELECT 1 FROM created),"
    " appended AS ("
    "  INSERT INTO atoll_do_commits (tenant, class, id, seq, tag, snapshot, data)"
    "  SELECT $1, $2, $3, $5, $6, $7 = 1, $8 FROM ok RETURNING 1),"
    " compacted AS ("
    "  DELETE FROM atoll_do_commits WHERE $7 = 1 AND tenant = $1 AND class = $2 AND id = $3 AND seq < $5"
    "  AND EXISTS (SELECT 1 FROM ok))"
    " SELECT (SELECT count(*) FROM appended)::int8, o.fence, o.seq"
    " FROM (SELECT 1) one LEFT JOIN atoll_do_objects o ON o.tenant = $1 AND o.class = $2 AND o.id = $3";

// $1 tenant, $2 class, $3 id, $4 have_seq, $5 have_tag: the head, then the history from the
// latest snapshot, without the data of the commits up to the caller's when it is in there.
constexpr const char* kLoad =
    "WITH head AS (SELECT fence, seq, tag FROM atoll_do_objects WHERE tenant = $1 AND class = $2 AND id = $3),"
    " base AS (SELECT coalesce(max(seq), 0) AS seq FROM atoll_do_commits"
    "  WHERE tenant = $1 AND class = $2 AND id = $3 AND snapshot),"
    " chain AS (SELECT c.seq, c.tag, c.snapshot, c.data FROM atoll_do_commits c, base"
    "  WHERE c.tenant = $1 AND c.class = $2 AND c.id = $3 AND c.seq >= base.seq),"
    " held AS (SELECT count(*) > 0 AS yes FROM chain WHERE seq = $4 AND tag = $5)"
    " SELECT head.fence, head.seq, head.tag, chain.seq, chain.tag, CASE WHEN chain.snapshot THEN 1 ELSE 0 END::int8,"
    "  octet_length(chain.data)::int8, CASE WHEN held.yes AND chain.seq <= $4 THEN NULL ELSE chain.data END"
    " FROM head CROSS JOIN held LEFT JOIN chain ON true ORDER BY chain.seq";

std::vector<PgParam> KeyParams(const kv::DoObjectKey& key) {
  return {PgParam::Text(key.tenant), PgParam::Text(key.class_name), PgParam::Text(key.id)};
}

}  // namespace

PgDoStorage::PgDoStorage(uv_loop_t* loop, std::string conninfo, uint32_t timeout_ms)
    : client_(std::make_shared<PgClient>(loop, std::move(conninfo), kPgDoSchema, timeout_ms)) {}

void PgDoStorage::Load(const kv::DoObjectKey& key, uint64_t have_seq, uint64_t have_tag, LoadDone done) {
  std::vector<PgParam> params = KeyParams(key);
  params.push_back(PgParam::Int8(static_cast<int64_t>(have_seq)));
  params.push_back(PgParam::Int8(static_cast<int64_t>(have_tag)));
  client_->Query(kLoad, std::move(params), [done = std::move(done)](absl::StatusOr<PGresult*> result) mutable {
    if (!result.ok()) return done(result.status());
    const PGresult* rows = *result;
    kv::DoHistory history;
    int count = PQntuples(rows);
    history.exists = count > 0;
    for (int i = 0; i < count; ++i) {
      if (i == 0) {
        history.fence = static_cast<uint64_t>(PgInt8(rows, 0, 0));
        history.seq = static_cast<uint64_t>(PgInt8(rows, 0, 1));
        history.tag = static_cast<uint64_t>(PgInt8(rows, 0, 2));
      }
      if (PQgetisnull(rows, i, 3)) continue;  // a head without commits (not made by kCommit)
      kv::DoCommit commit;
      commit.seq = static_cast<uint64_t>(PgInt8(rows, i, 3));
      commit.tag = static_cast<uint64_t>(PgInt8(rows, i, 4));
      commit.snapshot = PgInt8(rows, i, 5) != 0;
      commit.size = static_cast<uint64_t>(PgInt8(rows, i, 6));
      commit.has_data = !PQgetisnull(rows, i, 7);
      if (commit.has_data) commit.data.assign(PQgetvalue(rows, i, 7), PQgetlength(rows, i, 7));
      history.commits.push_back(std::move(commit));
    }
    done(std::move(history));
  });
}

void PgDoStorage::Commit(const kv::DoObjectKey& key, uint64_t fence, const kv::DoCommit& commit, CommitDone done) {
  std::vector<PgParam> params = KeyParams(key);
  params.push_back(PgParam::Int8(static_cast<int64_t>(fence)));
  params.push_back(PgParam::Int8(static_cast<int64_t>(commit.seq)));
  params.push_back(PgParam::Int8(static_cast<int64_t>(commit.tag)));
  params.push_back(PgParam::Int8(commit.snapshot ? 1 : 0));
  params.push_back(PgParam::Bytes(commit.data));
  uint64_t seq = commit.seq;
  client_->Query(kCommit, std::move(params), [done = std::move(done), fence, seq](absl::StatusOr<PGresult*> result) mutable {
    if (!result.ok()) return done(result.status());
    const PGresult* rows = *result;
    if (PQntuples(rows) == 1 && PgInt8(rows, 0, 0) == 1) return done(absl::OkStatus());
    bool exists = PQntuples(rows) == 1 && !PQgetisnull(rows, 0, 1);
    int64_t stored_fence = exists ? PgInt8(rows, 0, 1) : 0;
    int64_t stored_seq = exists ? PgInt8(rows, 0, 2) : 0;
    if (exists && static_cast<uint64_t>(stored_fence) > fence) {
      return done(absl::FailedPreconditionError(
          base::StrCat("Durable Object commit refused: fencing token ", fence, " is lower than the object's ", stored_fence,
                       " (another node owns it now)")));
    }
    done(absl::FailedPreconditionError(base::StrCat("Durable Object commit refused: commit ", seq,
                                                    " does not follow the stored head ", stored_seq)));
  });
}

}  // namespace atl::server
