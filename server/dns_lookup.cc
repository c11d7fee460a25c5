#include "server/dns_lookup.h"

#include <string>

namespace atl::server {

DnsLookup* DnsLookup::Start(uv_loop_t* loop, const std::string& host, uint16_t port, Done done, int* error) {
  auto* lookup = new DnsLookup();
  lookup->req_.data = lookup;
  lookup->done_ = std::move(done);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string service = std::to_string(port);
  int rc = uv_getaddrinfo(loop, &lookup->req_, OnResolved, host.c_str(), service.c_str(), &hints);
  if (rc < 0) {
    *error = rc;
    delete lookup;
    return nullptr;
  }
  return lookup;
}

void DnsLookup::OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* result) {
  auto* lookup = static_cast<DnsLookup*>(req->data);
  if (!lookup->cancelled_) lookup->done_(status, status < 0 ? nullptr : result);
  if (result != nullptr) uv_freeaddrinfo(result);
  delete lookup;
}

}  // namespace atl::server
