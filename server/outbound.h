#pragma once
// Every fetch() in flight in this process, service-binding calls between tenants, and the TCP
// sockets of cloudflare:sockets' connect() (socket_client.h; a socket is a "fetch" whose events
// are its bytes: head = opened, chunks, peer end, end = closed, error). A fetch
// goes to the HttpClient (guarded by the tenant's `outbound` list) or, for a service binding, to
// another tenant through the TenantManager (no socket: the request is dispatched to the other
// tenant's Worker under an id of its own, with the calling fetch as its ResponseSink, so that its
// answer comes back here instead of to a connection). Events for the calling Worker are queued
// and delivered from the loop, never from inside JS (a call into one isolate cannot run inside
// another's run), with backpressure: at most `max_buffered_response` bytes wait for a JS side
// that has not asked for more.
//
// A client's request and every service call made for it, at any depth, form a chain: each call
// is at most `max_service_depth` Workers deep and the chain makes at most `max_service_calls`
// calls in all (the fetches of the Workers it called count too); and, as Workers called through
// bindings share the CPU time of the client's request, no call is made once the chain's JS runs
// (called handlers, continuations of its fetches) took that request's `cpu_ms`. Past any of
// these, fetch() throws a TypeError and nothing is dispatched; a call made before the CPU time
// ran out but not dispatched yet is answered 503 cpu_limit.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bindings/worker_host.h"
#include "isolates/limits.h"
#include "server/error_response.h"
#include "server/http_client.h"
#include "server/pending_heads.h"
#include "server/response_sink.h"
#include "server/socket_client.h"

namespace atl::server {

class TenantManager;

class Outbound {
 public:
  Outbound(uv_loop_t* loop, TenantManager* tenants, const isolates::FetchLimits& limits);
  ~Outbound();

  // From a tenant's WorkerHost. `outbound`: the tenant's allowed hosts; `target` the tenant a
  // service binding names (-1: none), `entrypoint` the export of it the binding calls ("": default).
  // `counted`: a network fetch counts against its request's max_pending_heads (a Durable Object
  // call carried to another process does not: it is an object's call, not a connection of the
  // tenant's, and objects may answer each other's calls).
  bool Start(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request,
             const std::vector<std::string>& outbound, int32_t target, std::string* error,
             std::string_view entrypoint = {}, bool counted = true);
  bool Write(uint64_t fetch, std::string_view bytes, bool end);
  void Control(uint64_t fetch, bool cancel);
  // A socket (FetchRequestView::socket) starts TLS over its plaintext connection, checked for `name`.
  bool StartTls(uint64_t fetch, std::string_view name, std::string* error);

  // The client's request `id` is done (its connection forgot it).
  void EndChainRequest(uint64_t id) { EndChainEntry(id); }

  void Shutdown();
  const HttpClient& client() const { return client_; }

 private:
  struct Fetch;
  // A service call's streamed request body. What the caller writes waits here (the caller is told
  // to wait past max_buffered_response) and goes to the called tenant's Worker from the loop,
  // never from inside the caller's JS (a push runs the callee's JS), once the call is dispatched
  // and as fast as the callee reads (PushUpload's answer, then its UploadControl).
  struct ServiceUpload {
    bool streamed = false;     // the caller sends one
    bool dispatched = false;   // the call reached the called tenant
    bool callee_full = false;  // the callee asked for no more until its UploadControl
    bool ended = false;        // the caller wrote its end ...
    bool end_sent = false;     // ... and the callee was told
    bool cancelled = false;    // the called tenant wants no more: the rest is dropped
    bool waiting = false;      // a write was answered "full": a DRAIN event is owed
    bool push_posted = false;  // PushServiceUpload is queued
    std::string pending;       // written, not pushed yet
  };
  // Service calls: the caller's writes; the pushes to the callee (on the loop).
  bool WriteService(Fetch* fetch, std::string_view bytes, bool end);
  void PostServiceUpload(Fetch* fetch);
  void PushServiceUpload(uint64_t id);
  struct Event {
    uint64_t fetch;
    bindings::FetchEventKind kind;
    int status = 0;
    std::string text;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string data;
    uint64_t web_socket = 0;  // kHead of an upgraded fetch: the socket's id
  };
  static Event MakeEvent(uint64_t fetch, bindings::FetchEventKind kind) {
    Event event;
    event.fetch = fetch;
    event.kind = kind;
    return event;
  }
  void Queue(Event event);
  void Post(std::function<void()> task);
  void Drain();
  void Erase(uint64_t fetch);
  void MaybeResume(Fetch* fetch);
  // Network fetches past max_pending_heads for their request wait (pending_heads.h): the head
  // (or error, or cancel) of one lets the next ones connect, from the loop.
  void Connect(Fetch* fetch, OutboundRequest request);
  void EndHeadWait(Fetch* fetch);
  void ConnectQueued(uint64_t fetch);
  // Service calls of one chain, shared by its requests.
  struct Chain {
    uint32_t calls = 0;
    uint64_t run_ns = 0;     // what its JS on the loop was charged: called handlers, fetch continuations
    uint64_t budget_ns = 0;  // the client's request's tenant's cpu_ms: no call once run_ns reaches it
  };
  // A request's place in its chain: the client's request is depth 1, a call it makes depth 2...
  struct ChainLink {
    std::shared_ptr<Chain> chain;
    uint32_t depth = 1;
  };
  // Service-call ids come from a range of their own, far above HttpServer's (JS numbers hold
  // integers up to 2^53 exactly): unique in every Worker, and a call charged to a service call
  // whose chain entry is gone can be told from one charged to a client's request. Answers never
  // depend on it: they go to the call's sink.
  static constexpr uint64_t kFirstServiceCallId = uint64_t{1} << 52;
  static bool IsServiceCallId(uint64_t id) { return id >= kFirstServiceCallId; }
  // Places a service call made for `request` (the client's or a service call's) in its chain,
  // in `out`; false with `error` past a chain limit, or when `request` is a service call that
  // ended long ago.
  bool JoinChain(uint32_t tenant, uint64_t request, ChainLink* out, std::string* error);
  // Request `id` ended: its entry is kept a while for calls from its timers and waitUntil.
  void EndChainEntry(uint64_t id);

  uv_loop_t* loop_;
  TenantManager* tenants_;
  isolates::FetchLimits limits_;
  HttpClient client_;
  SocketClient sockets_;  // cloudflare:sockets' connections
  absl::flat_hash_map<uint64_t, std::unique_ptr<Fetch>> fetches_;
  PendingHeads heads_;
  absl::flat_hash_map<uint64_t, uint64_t> service_calls_;  // service request id -> fetch id
  std::deque<std::function<void()>> queue_;
  uv_idle_t drain_;
  bool draining_ = false;
  bool closed_ = false;
  uint64_t next_service_id_ = kFirstServiceCallId;
  absl::flat_hash_map<uint64_t, ChainLink> chains_;  // request id -> its chain
  std::deque<uint64_t> ended_chain_entries_;         // in chains_ still, oldest first
};

}  // namespace atl::server
