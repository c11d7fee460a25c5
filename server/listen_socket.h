#pragma once
// Listening TCP sockets opened by the supervisor before it starts the workers: every worker
// process accepts on the same socket (its descriptor is passed down), so a worker that stops
// or dies leaves the connections waiting in the accept queue to the others.
//
//   absl::StatusOr<ListenSocket> socket = OpenListenSocket(address);  // port 0: any free port
//   ... pass socket->fd to the workers; HttpServer::ListenOn(fd) in each

#include <string>

#include "absl/status/statusor.h"
#include "config/listen_address.h"

namespace atl::server {

struct ListenSocket {
  int fd = -1;
  std::string bound;  // "127.0.0.1:8080", "[::1]:8080": the port actually bound
};

// socket + SO_REUSEADDR + bind + listen, with close-on-exec (a child gets it by dup2).
absl::StatusOr<ListenSocket> OpenListenSocket(const config::ListenAddress& address);

// "HOST:PORT" of the socket's local address ("[HOST]:PORT" for IPv6); "" on error.
std::string LocalAddressOf(int fd);

}  // namespace atl::server
