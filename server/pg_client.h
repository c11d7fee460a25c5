#pragma once
// A PostgreSQL client on the libuv loop (libpq's asynchronous API): one connection, opened on the
// first query (PQconnectStart/PQconnectPoll), queries sent one at a time in FIFO order with
// PQsendQueryParams and read with PQconsumeInput/PQgetResult when uv_poll says PQsocket is
// readable. Parameters and results are in binary format. When the server cannot be reached, the
// connection breaks or a query takes longer than `timeout_ms`, every query waiting is answered
// Unavailable (naming PostgreSQL and libpq's message) and the next query connects again. Loop
// thread only. Used by the shared KV of cluster mode (pg_kv.h).
//
//   PgClient pg(loop, "host=127.0.0.1 port=5432 dbname=atoll");
//   pg.Query("SELECT value FROM t WHERE k = $1", {PgParam::Bytes(key)}, [](absl::StatusOr<PGresult*> r) { ... });

#include <libpq-fe.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"

namespace atl::server {

// One parameter of a query, in binary format (`oid` is its type: bytea, text, int8).
struct PgParam {
  uint32_t oid = 0;
  std::string bytes;
  bool null = false;
  static PgParam Bytes(std::string_view b) { return {17, std::string(b), false}; }  // bytea
  static PgParam Text(std::string_view t) { return {25, std::string(t), false}; }   // text
  static PgParam Int8(int64_t v);                                                   // int8
  static PgParam Null(uint32_t oid) { return {oid, {}, true}; }
};

// The binary int8 at (row, column) of a result.
int64_t PgInt8(const PGresult* result, int row, int column);

class PgClient {
 public:
  // The result (owned by the client: valid during the call) of a command or a query, or an
  // error: Unavailable when PostgreSQL could not be reached or answer, Internal for an error the
  // server reported.
  using Done = absl::AnyInvocable<void(absl::StatusOr<PGresult*>)>;

  // `setup_sql`: run once on every new connection before any query (several statements, no
  // parameters), e.g. CREATE TABLE IF NOT EXISTS.
  PgClient(uv_loop_t* loop, std::string conninfo, std::string setup_sql, uint32_t timeout_ms = 5000);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  void Query(std::string sql, std::vector<PgParam> params, Done done);

 private:
  struct Pending {
    std::string sql;
    std::vector<PgParam> params;
    Done done;
  };
  enum class State { kIdle, kConnecting, kSetup, kReady, kBusy };

  void Connect();
  void Poll(int status, int events);
  void OnConnectPoll();
  void SendNext();
  void ReadResults();
  // Answers every waiting query with `status` and drops the connection.
  void FailAll(const std::string& what);
  void Watch(int events);
  void ArmTimer();
  std::string Message(const std::string& what) const;

  uv_loop_t* loop_;
  std::string conninfo_;
  std::string setup_sql_;
  uint32_t timeout_ms_;
  PGconn* conn_ = nullptr;
  State state_ = State::kIdle;
  // Heap-allocated handles: they are closed (uv_close) asynchronously, possibly after this client.
  uv_poll_t* poll_ = nullptr;
  int poll_fd_ = -1;
  uv_timer_t* timer_ = nullptr;
  std::deque<Pending> queue_;  // front: in flight when kBusy
  PGresult* last_ = nullptr;   // the answer of the query in flight, while reading
  bool last_error_ = false;
};

}  // namespace atl::server
