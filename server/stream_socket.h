#pragma once
// One TCP connection on libuv, either way (accepted by HttpConnection, connected by the fetch
// client's connection): the uv_tcp_t, an optional TlsSession between it and the owner, the read
// buffer and the write in flight. The owner sees plaintext only: what is read arrives decrypted
// (OnSocketData), what it writes is encrypted when the socket can take it (Write).
//
//   StreamSocket socket(loop, &owner);
//   socket.Accept(listener, &fd);  /  socket.Connect(address);     // then OnSocketConnected
//   socket.StartTls(TlsSession::Client(...));                       // optional
//   socket.StartReading();  socket.Write(&out);  socket.Close();    // then OnSocketClosed
//
// Writes: at most one uv_write is in flight. Write() hands the socket what it can take now and
// writes it at once as far as the kernel takes it; with a write in flight (or, on TLS, before the
// handshake ended) the bytes stay with the caller, so that they count as unsent where the owner
// bounds its output, and OnSocketWritten says when to call Write() again.
//
// Nothing here throws; the owner is deleted only after OnSocketClosed (libuv's close callback),
// so callbacks already queued never see freed memory.

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/tls.h"

namespace atl::server {

// One TCP connection with optional TLS; its owner sees plaintext and the events below.
class StreamSocket {
 public:
  // What the socket tells its owner (HttpConnection, HttpClient::Connection).
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void OnSocketConnected(int status) {}
    // Bytes arrived (before decryption; `OnSocketData` follows if they held plaintext).
    virtual void OnSocketBytes() {}
    // TLS: the handshake just ended (before the data of the same read).
    virtual void OnSocketHandshake() {}
    virtual void OnSocketData(std::string_view plain) = 0;
    // The peer sent no more (UV_EOF: a FIN, or TLS close_notify) or the connection failed:
    // another negative libuv code, or UV_EPROTO with tls_failed() (tls()->error() says why).
    virtual void OnSocketEnd(int status) = 0;
    // The write in flight ended (status < 0: failed); Write() may hand over more.
    virtual void OnSocketWritten(int status) = 0;
    // ShutdownWrites' FIN went out (status < 0: it failed, or the socket closed first).
    virtual void OnSocketShutdown(int status) {}
    // The handle is closed: the owner may be deleted now.
    virtual void OnSocketClosed() = 0;
  };

  StreamSocket(uv_loop_t* loop, Owner* owner);
  ~StreamSocket();
  StreamSocket(const StreamSocket&) = delete;
  StreamSocket& operator=(const StreamSocket&) = delete;

  // Accepts the connection pending on `listener`; its descriptor in `*fd`. False: close it.
  bool Accept(uv_stream_t* listener, int* fd);
  // Connects to `address`; OnSocketConnected follows. A libuv error if it failed at once.
  int Connect(const struct sockaddr* address);
  void SetNoDelay();
  // Puts `session` between the socket and the owner (a client session sends its hello now).
  void StartTls(std::unique_ptr<TlsSession> session);

  void StartReading();
  void StopReading();
  bool reading() const { return reading_; }

  // Takes what it can of `*data` (plaintext; see above) and writes it; 0, or the libuv error
  // that failed the connection (the owner closes it).
  int Write(std::string* data);
  bool write_in_flight() const { return write_in_flight_; }
  // Bytes handed over and not yet taken by the kernel.
  size_t unsent() const { return writing_.size(); }

  // TLS: queues close_notify (once; false if it was queued before or there is no TLS).
  bool ShutdownTls();
  // Half-closes: a FIN once what was handed over is written; reading goes on. False if the
  // socket refused.
  bool ShutdownWrites();
  // Half-closes (FIN after what is written) and from now on drops what the peer sends, still
  // reporting its end or an error; false if the socket refused.
  bool ShutdownAndDiscard();
  // Closes the handle; OnSocketClosed follows.
  void Close();
  bool closing() const { return closing_; }

  TlsSession* tls() const { return tls_.get(); }
  // The kernel's smoothed round-trip time of this connection in microseconds (TCP_INFO); -1 if
  // it cannot say (not a TCP socket, closed). One getsockopt(2): asked only when wanted.
  int64_t RoundTripMicros() const;
  bool tls_failed() const { return tls_failed_; }

 private:
  void OnRead(ssize_t nread, const uv_buf_t* buf);
  void OnTlsBytes(std::string_view ciphertext);
  void OnWriteDone(int status);
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  Owner* owner_;
  uv_tcp_t tcp_;
  uv_write_t write_req_;
  uv_shutdown_t shutdown_req_;
  uv_connect_t connect_req_;
  std::unique_ptr<TlsSession> tls_;  // null: plaintext
  std::string tls_plain_;  // OnTlsBytes's scratch: what one read decrypted to
  std::string tls_out_;    // ciphertext ready for the socket
  std::string writing_;    // bytes owned by the write in flight
  bool reading_ = false;
  bool write_in_flight_ = false;
  bool discard_input_ = false;
  bool tls_shutdown_ = false;
  bool tls_failed_ = false;
  bool closing_ = false;
};

}  // namespace atl::server
