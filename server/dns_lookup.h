#pragma once
// One uv_getaddrinfo that its owner may give up on: after Cancel() its callback never runs, and
// the lookup frees itself once libuv is done with it (a lookup runs on libuv's thread pool and
// cannot be stopped midway). Used by the HTTP client (http_client.h) and the socket client
// (socket_client.h).
//
//   int error = 0;
//   DnsLookup* lookup = DnsLookup::Start(loop, "db.example.com", 5432, [](int status, const addrinfo* result) {...}, &error);
//   lookup->Cancel();   // instead of waiting: the callback will not run

#include <netdb.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace atl::server {

class DnsLookup {
 public:
  // status: 0 or a libuv error; `result` (null on error) is freed after the callback returns.
  using Done = std::function<void(int status, const addrinfo* result)>;

  // Null with `*error` (a libuv code) if it could not start.
  static DnsLookup* Start(uv_loop_t* loop, const std::string& host, uint16_t port, Done done, int* error);
  // The callback will not run; the lookup frees itself later.
  void Cancel() {
    cancelled_ = true;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_));  // not yet running: its callback comes at once
  }

 private:
  DnsLookup() = default;
  static void OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* result);

  uv_getaddrinfo_t req_{};
  Done done_;
  bool cancelled_ = false;
};

}  // namespace atl::server
