#pragma once
// The native half of cloudflare:sockets (js/lazy/cloudflare_sockets.js,
// https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/). A socket is carried as a
// fetch (fetch.h) whose events are its bytes: the connection, the SSRF guard and TLS are the
// host's (server/socket_client.h); these only cross the boundary.
//
//   native.socketStart(hostname, port, tls, tlsName) -> socket id; throws a TypeError when refused
//          at once (no request running, over the tenant's `subrequests`). Written with
//          native.fetchWrite (null: a FIN), read on with native.fetchControl(id, false), closed
//          with native.fetchControl(id, true).
//   native.socketStartTls(id, name)   TLS over the connection once what was written went out;
//          throws a TypeError if it cannot.
// Events come back through internal.onFetchEvent(id, kind, ...) (worker_host.h FetchEventKind):
//   head (0, the peer's address) once open and once a TLS handshake ended, chunk, peer end, end
//   (both sides ended), error (message), drain.

namespace atl::bindings {
class NativeScope;
void InstallSockets(NativeScope& scope);
}  // namespace atl::bindings
