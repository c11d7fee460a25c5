// PostgreSQL on the loop (pg_client.h).
#include "server/pg_client.h"

#include <arpa/inet.h>
#include <endian.h>

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "base/strings.h"

namespace atl::server {
namespace {

// libpq's messages end with a newline.
std::string Trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

PgParam PgParam::Int8(int64_t v) {
  uint64_t big = htobe64(static_cast<uint64_t>(v));
  PgParam param{20, std::string(8, '\0'), false};
  std::memcpy(param.bytes.data(), &big, 8);
  return param;
}

int64_t PgInt8(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) || PQgetlength(result, row, column) != 8) return 0;
  uint64_t big;
  std::memcpy(&big, PQgetvalue(result, row, column), 8);
  return static_cast<int64_t>(be64toh(big));
}

PgClient::PgClient(uv_loop_t* loop, std::string conninfo, std::string setup_sql, uint32_t timeout_ms)
    : loop_(loop), conninfo_(std::move(conninfo)), setup_sql_(std::move(setup_sql)), timeout_ms_(timeout_ms) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // the client never keeps the loop running on its own
  timer_->data = this;
}

PgClient::~PgClient() {
  std::deque<Pending> dropped = std::move(queue_);  // their callbacks are not called
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  if (last_ != nullptr) PQclear(last_);
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string PgClient::Message(const std::string& what) const { return base::StrCat("PostgreSQL unavailable: ", what); }

void PgClient::Query(std::string sql, std::vector<PgParam> params, Done done) {
  queue_.push_back({std::move(sql), std::move(params), std::move(done)});
  if (state_ == State::kIdle) {
    Connect();
  } else if (state_ == State::kReady) {
    SendNext();
  }
}

void PgClient::ArmTimer() {
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<PgClient*>(t->data);
        self->FailAll(base::StrCat("no answer within ", self->timeout_ms_, " ms"));
      },
      timeout_ms_, 0);
}

void PgClient::Connect() {
  conn_ = PQconnectStart(conninfo_.c_str());
  if (conn_ == nullptr) return FailAll("out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) return FailAll(Trimmed(PQerrorMessage(conn_)));
  PQsetnonblocking(conn_, 1);
  state_ = State::kConnecting;
  ArmTimer();
  Watch(UV_WRITABLE);  // libpq: act as if PQconnectPoll had answered PGRES_POLLING_WRITING
}

void PgClient::Watch(int events) {
  int fd = PQsocket(conn_);
  if (fd < 0) return FailAll("no socket");
  if (poll_ != nullptr && poll_fd_ != fd) {  // libpq moved to another socket (another address)
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (poll_ == nullptr) {
    poll_ = new uv_poll_t;
    if (uv_poll_init_socket(loop_, poll_, fd) != 0) {
      delete poll_;
      poll_ = nullptr;
      return FailAll("cannot watch the socket");
    }
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    poll_->data = this;
    poll_fd_ = fd;
  }
  uv_poll_start(poll_, events, [](uv_poll_t* p, int status, int ready) { static_cast<PgClient*>(p->data)->Poll(status, ready); });
}

void PgClient::Poll(int status, int events) {
  if (status < 0) return FailAll(uv_strerror(status));
  if (state_ == State::kConnecting) return OnConnectPoll();
  if ((events & UV_WRITABLE) != 0) {
    int flushed = PQflush(conn_);
    if (flushed < 0) return FailAll(Trimmed(PQerrorMessage(conn_)));
    if (flushed == 0) Watch(UV_READABLE);
  }
  if ((events & UV_READABLE) != 0) ReadResults();
}

void PgClient::OnConnectPoll() {
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING:
      return Watch(UV_READABLE);
    case PGRES_POLLING_WRITING:
      return Watch(UV_WRITABLE);
    case PGRES_POLLING_FAILED:
      return FailAll(Trimmed(PQerrorMessage(conn_)));
    default:
      break;
  }
  // Connected: the setup statements first.
  state_ = State::kSetup;
  if (PQsendQuery(conn_, setup_sql_.c_str()) == 0) return FailAll(Trimmed(PQerrorMessage(conn_)));
  Watch(PQflush(conn_) == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

void PgClient::SendNext() {
  if (state_ != State::kReady) return;
  if (queue_.empty()) {
    uv_timer_stop(timer_);
    return;
  }
  Pending& next = queue_.front();
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const PgParam& param : next.params) {
    types.push_back(param.oid);
    values.push_back(param.null ? nullptr : param.bytes.data());
    lengths.push_back(static_cast<int>(param.bytes.size()));
    formats.push_back(1);
  }
  int n = static_cast<int>(next.params.size());
  if (PQsendQueryParams(conn_, next.sql.c_str(), n, types.data(), values.data(), lengths.data(), formats.data(),
                        /*resultFormat=*/1) == 0) {
    return FailAll(Trimmed(PQerrorMessage(conn_)));
  }
  state_ = State::kBusy;
  ArmTimer();
  int flushed = PQflush(conn_);
  if (flushed < 0) return FailAll(Trimmed(PQerrorMessage(conn_)));
  Watch(flushed == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

void PgClient::ReadResults() {
  if (PQconsumeInput(conn_) == 0) return FailAll(Trimmed(PQerrorMessage(conn_)));
  while (PQisBusy(conn_) == 0) {
    PGresult* result = PQgetResult(conn_);
    if (result != nullptr) {
      ExecStatusType status = PQresultStatus(result);
      bool error = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
      // Keep the first error, else the last result (the setup's statements answer one each).
      if (!last_error_) {
        if (last_ != nullptr) PQclear(last_);
        last_ = result;
        last_error_ = error;
      } else {
        PQclear(result);
      }
      continue;
    }
    // The command is complete.
    PGresult* answer = last_;
    bool error = last_error_;
    last_ = nullptr;
    last_error_ = false;
    if (state_ == State::kSetup) {
      std::string message = error ? Trimmed(PQresultErrorMessage(answer)) : "";
      if (answer != nullptr) PQclear(answer);
      if (error) return FailAll(base::StrCat("setting up the tables: ", message));
      state_ = State::kReady;
      SendNext();
      return;
    }
    if (state_ != State::kBusy || queue_.empty()) {
      if (answer != nullptr) PQclear(answer);
      return;
    }
    Pending done = std::move(queue_.front());
    queue_.pop_front();
    state_ = State::kReady;
    if (answer == nullptr) {
      done.done(absl::InternalError("PostgreSQL: no result"));
    } else if (error) {
      done.done(absl::InternalError(base::StrCat("PostgreSQL: ", Trimmed(PQresultErrorMessage(answer)))));
    } else {
      done.done(answer);
    }
    if (answer != nullptr) PQclear(answer);
    SendNext();
    return;
  }
}

void PgClient::FailAll(const std::string& what) {
  uv_timer_stop(timer_);
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (last_ != nullptr) PQclear(last_);
  last_ = nullptr;
  last_error_ = false;
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::kIdle;
  std::deque<Pending> failed = std::move(queue_);
  queue_.clear();
  std::string message = Message(what);
  for (Pending& pending : failed) pending.done(absl::UnavailableError(message));
}

}  // namespace atl::server
