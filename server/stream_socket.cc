#include "server/stream_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "base/limits.h"

namespace atl::server {
namespace {

// One read buffer per thread: every read is handled before the next one arrives, and what an
// owner keeps of it is copied out.
void AllocReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local char buffer[limits::kReadBufferBytes];
  *buf = uv_buf_init(buffer, limits::kReadBufferBytes);
}

StreamSocket* Self(void* data) { return static_cast<StreamSocket*>(data); }

}  // namespace

StreamSocket::StreamSocket(uv_loop_t* loop, Owner* owner) : owner_(owner) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = write_req_.data = shutdown_req_.data = connect_req_.data = this;
}

StreamSocket::~StreamSocket() = default;

bool StreamSocket::Accept(uv_stream_t* listener, int* fd) {
  uv_os_fd_t os_fd = -1;
  if (uv_accept(listener, stream()) != 0 || uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &os_fd) != 0) {
    return false;
  }
  *fd = os_fd;
  return true;
}

int StreamSocket::Connect(const sockaddr* address) {
  return uv_tcp_connect(&connect_req_, &tcp_, address, [](uv_connect_t* req, int status) {
    Self(req->data)->owner_->OnSocketConnected(status);
  });
}

void StreamSocket::SetNoDelay() { uv_tcp_nodelay(&tcp_, 1); }

void StreamSocket::StartTls(std::unique_ptr<TlsSession> session) {
  tls_ = std::move(session);
  OnTlsBytes({});  // a client's hello; nothing for a server
}

void StreamSocket::StartReading() {
  if (reading_ || closing_) return;
  reading_ = true;
  uv_read_start(stream(), AllocReadBuffer,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) { Self(s->data)->OnRead(n, buf); });
}

void StreamSocket::StopReading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(stream());
}

void StreamSocket::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    owner_->OnSocketEnd(static_cast<int>(nread));
    return;
  }
  if (nread == 0 || discard_input_) return;
  owner_->OnSocketBytes();
  if (closing_) return;
  std::string_view bytes(buf->base, static_cast<size_t>(nread));
  if (tls_ != nullptr) {
    OnTlsBytes(bytes);
  } else {
    owner_->OnSocketData(bytes);
  }
}

void StreamSocket::OnTlsBytes(std::string_view ciphertext) {
  tls_->Feed(ciphertext);
  tls_plain_.clear();
  bool was_handshaking = !tls_->handshake_done();
  TlsSession::Status status = tls_->Read(&tls_plain_);
  if (was_handshaking && tls_->handshake_done()) {
    owner_->OnSocketHandshake();
    if (closing_) return;
  }
  if (!tls_plain_.empty()) {
    owner_->OnSocketData(tls_plain_);  // what the owner keeps of it is copied out
    if (closing_) return;
  }
  if (status == TlsSession::Status::kError) {
    // The alert OpenSSL queued goes out if the socket takes it at once.
    tls_failed_ = true;
    if (!write_in_flight_) {
      tls_out_.clear();
      tls_->TakeOutput(&tls_out_);
      uv_buf_t buf = uv_buf_init(tls_out_.data(), static_cast<unsigned int>(tls_out_.size()));
      if (!tls_out_.empty()) uv_try_write(stream(), &buf, 1);
    }
    owner_->OnSocketEnd(UV_EPROTO);
    return;
  }
  if (tls_->has_output()) {
    std::string none;
    if (int rc = Write(&none); rc < 0) {  // handshake records, session tickets
      owner_->OnSocketEnd(rc);
      return;
    }
  }
  if (status == TlsSession::Status::kClosed) owner_->OnSocketEnd(UV_EOF);
}

int StreamSocket::Write(std::string* data) {
  if (write_in_flight_ || closing_) return 0;
  std::string* wire = data;
  if (tls_ != nullptr) {
    // Encrypted only when the socket can take it, so what waits stays counted by the owner.
    if (!data->empty() && tls_->handshake_done()) {
      if (!tls_->Write(*data)) return UV_EPROTO;
      data->clear();
    }
    tls_->TakeOutput(&tls_out_);
    wire = &tls_out_;
  }
  if (wire->empty()) return 0;
  uv_buf_t buf = uv_buf_init(wire->data(), static_cast<unsigned int>(wire->size()));
  int written = uv_try_write(stream(), &buf, 1);
  if (written == static_cast<int>(wire->size())) {
    wire->clear();
    return 0;
  }
  if (written < 0 && written != UV_EAGAIN) return written;
  writing_.assign(*wire, written > 0 ? written : 0);
  wire->clear();
  write_in_flight_ = true;
  uv_buf_t rest = uv_buf_init(writing_.data(), static_cast<unsigned int>(writing_.size()));
  uv_write(&write_req_, stream(), &rest, 1, [](uv_write_t* req, int status) { Self(req->data)->OnWriteDone(status); });
  return 0;
}

void StreamSocket::OnWriteDone(int status) {
  write_in_flight_ = false;
  writing_.clear();
  owner_->OnSocketWritten(status);
}

bool StreamSocket::ShutdownTls() {
  if (tls_ == nullptr || tls_shutdown_) return false;
  tls_shutdown_ = true;
  tls_->Shutdown();
  return true;
}

bool StreamSocket::ShutdownWrites() {
  if (closing_) return false;
  return uv_shutdown(&shutdown_req_, stream(), [](uv_shutdown_t* req, int status) {
           Self(req->data)->owner_->OnSocketShutdown(status);
         }) == 0;
}

bool StreamSocket::ShutdownAndDiscard() {
  if (uv_shutdown(&shutdown_req_, stream(), [](uv_shutdown_t*, int) {}) != 0) return false;
  discard_input_ = true;
  StopReading();
  reading_ = true;
  uv_read_start(stream(), AllocReadBuffer,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) { Self(s->data)->OnRead(n, buf); });
  return true;
}

void StreamSocket::Close() {
  if (closing_) return;
  closing_ = true;
  StopReading();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) { Self(h->data)->owner_->OnSocketClosed(); });
}

int64_t StreamSocket::RoundTripMicros() const {
  uv_os_fd_t fd;
  if (closing_ || uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd) != 0) return -1;
  struct tcp_info info {};
  socklen_t size = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return -1;
  return info.tcpi_rtt;
}

}  // namespace atl::server
