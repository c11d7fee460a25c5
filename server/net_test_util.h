#pragma once
// Helpers for the in-process tests of the transport (http_connection_test.cc,
// http_client_test.cc): a loopback listener, a blocking peer socket polled without blocking, and
// a loop runner with a deadline. Test-only.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace atl::server::testing {

// A listening socket on 127.0.0.1 (a free port), non-blocking; -1 on failure.
inline int ListenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A connected socket to 127.0.0.1:port; -1 on failure.
inline int ConnectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One end of a test connection, driven from the loop's thread: writes block (small data on
// loopback), reads never do.
class Peer {
 public:
  explicit Peer(int fd = -1) : fd_(fd) {}
  ~Peer() { Close(); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Accepts a pending connection on `listener` without blocking; false if none is pending.
  bool AcceptFrom(int listener) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) return false;
    Close();
    fd_ = fd;
    eof_ = false;
    received_.clear();
    return true;
  }
  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads what has arrived; true once the other end closed.
  bool Poll() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) eof_ = true;
      return eof_;
    }
  }
  const std::string& received() const { return received_; }
  void Clear() { received_.clear(); }
  bool eof() const { return eof_; }
  // Sends a FIN; reading goes on.
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  std::string received_;
  bool eof_ = false;
};

// Runs `loop` until `done()` (checked between turns) or for at most `timeout_ms` (generous: the
// machine may be loaded); returns whether `done()` came true.
inline bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, int timeout_ms = 10000) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 1, 1);  // UV_RUN_ONCE returns at least every ms
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool ok = false;
  while (!(ok = done()) && std::chrono::steady_clock::now() < deadline) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

// Lets close callbacks run (after the objects on the loop shut down), then closes the loop.
inline void FinishLoop(uv_loop_t* loop) {
  for (int i = 0; i < 10; ++i) uv_run(loop, UV_RUN_NOWAIT);
  uv_loop_close(loop);  // EBUSY if an object left a handle open: a leak in a test only
}

}  // namespace atl::server::testing
