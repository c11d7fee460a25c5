#pragma once
// A test origin for fetch() and proxy tests: an HTTP/1.1 server on 127.0.0.1 (a free port), one
// thread per connection. A subclass answers in Serve(fd), calls Start() at the end of its
// constructor and Stop() first thing in its destructor (so no thread runs Serve on a half-destroyed
// object). Loopback only; Stop() joins every thread.

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/net_test_util.h"

namespace atl::testing {

class LoopbackUpstream {
 public:
  LoopbackUpstream(const LoopbackUpstream&) = delete;
  LoopbackUpstream& operator=(const LoopbackUpstream&) = delete;
  virtual ~LoopbackUpstream() { Stop(); }

  int port() const { return port_; }

 protected:
  LoopbackUpstream() {
    uint16_t port = 0;
    listen_fd_ = server::testing::ListenLoopback(&port);
    port_ = port;
  }

  // One connection, on its own thread; the socket is closed after it returns.
  virtual void Serve(int fd) = 0;
  // Called on the acceptor thread for each accepted socket, before its thread starts.
  virtual void OnAccept(int /*fd*/) {}

  void Start() {
    acceptor_ = std::thread([this] {
      while (!stop_) {
        if (!WaitReadable(listen_fd_, 50)) continue;
        int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) continue;
        OnAccept(fd);
        std::lock_guard lock(mu_);
        threads_.emplace_back([this, fd] {
          Serve(fd);
          close(fd);
        });
      }
    });
  }

  void Stop() {
    if (stop_.exchange(true)) return;
    if (acceptor_.joinable()) acceptor_.join();
    close(listen_fd_);
    std::lock_guard lock(mu_);
    for (std::thread& t : threads_) t.join();
  }

  static bool WaitReadable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
  }

  // Reads more into `buf`; false on EOF, error or stop.
  bool Fill(int fd, std::string& buf) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 50);
      if (r == 0) continue;
      if (r < 0) return false;
      char tmp[65536];
      ssize_t n = read(fd, tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  // Reads a request head (up to the blank line) from `buf` and then `fd`: `head` without the blank
  // line, `buf` keeps what followed it. False on EOF, error or stop.
  bool ReadHead(int fd, std::string& buf, std::string* head) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(fd, buf)) return false;
    }
    *head = buf.substr(0, end);
    buf.erase(0, end + 4);
    return true;
  }

  // Reads the body `lower_head` (a request head, lower-cased) announces, chunked or of a
  // Content-Length, from `buf` and then `fd`, and drops it; its length in `received`. False on
  // EOF, error or stop.
  bool SkipBody(int fd, std::string& buf, const std::string& lower_head, size_t* received) {
    *received = 0;
    if (lower_head.find("transfer-encoding: chunked") != std::string::npos) {
      for (;;) {  // chunks: size line, data, CRLF; the last is 0
        size_t line;
        while ((line = buf.find("\r\n")) == std::string::npos) {
          if (!Fill(fd, buf)) return false;
        }
        size_t size = std::stoul(buf.substr(0, line), nullptr, 16);
        while (buf.size() < line + 2 + size + 2) {
          if (!Fill(fd, buf)) return false;
        }
        buf.erase(0, line + 2 + size + 2);
        *received += size;
        if (size == 0) return true;
      }
    }
    if (size_t cl = lower_head.find("content-length: "); cl != std::string::npos) {
      size_t length = std::stoul(lower_head.substr(cl + 16));
      while (buf.size() < length) {
        if (!Fill(fd, buf)) return false;
      }
      buf.erase(0, length);
      *received = length;
    }
    return true;
  }

  static std::string Lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  // Writes all of `s` (or stops at the first error: the peer went away).
  static void Send(int fd, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      ssize_t n = write(fd, s.data() + off, s.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  bool stopping() const { return stop_; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

}  // namespace atl::testing
