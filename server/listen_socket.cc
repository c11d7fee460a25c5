#include "server/listen_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace atl::server {

std::string LocalAddressOf(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {0};
  if (bound.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return base::StrCat("[", host, "]:", ntohs(in6->sin6_port));
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&bound);
  inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
  return base::StrCat(host, ":", ntohs(in4->sin_port));
}

absl::StatusOr<ListenSocket> OpenListenSocket(const config::ListenAddress& address) {
  sockaddr_storage storage{};
  socklen_t length;
  if (address.ipv6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(address.port);
    if (inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) != 1) {
      return absl::InvalidArgumentError(base::StrCat("bad address ", address.ToString()));
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(address.port);
    if (inet_pton(AF_INET, address.host.c_str(), &in4->sin_addr) != 1) {
      return absl::InvalidArgumentError(base::StrCat("bad address ", address.ToString()));
    }
    length = sizeof(sockaddr_in);
  }
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(base::StrCat("cannot open a socket: ", std::strerror(errno)));
  auto fail = [&](std::string_view what) {
    std::string error = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(base::StrCat("cannot ", what, " ", address.ToString(), ": ", error));
  };
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (address.ipv6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) return fail("bind");
  if (listen(fd, 1024) != 0) return fail("listen on");
  return ListenSocket{fd, LocalAddressOf(fd)};
}

}  // namespace atl::server
