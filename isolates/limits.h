#pragma once
// Every limit atoll enforces, in one place: per tenant (SPEC §2 [defaults]) and per connection
// (SPEC §4). Code that enforces a limit reads it from here; nobody else holds the constants.

#include <cstddef>
#include <cstdint>

namespace atl::isolates {

// What one tenant may use. Defaults are SPEC §2's [defaults].
struct TenantLimits {
  uint32_t memory_mb = 128;                      // V8 heap + ArrayBuffers of one isolate
  uint32_t cpu_ms = 50;                          // JS CPU time of one request
  uint32_t startup_cpu_ms = 400;                 // JS CPU time of the script's top level (as Workers)
  uint32_t wall_ms = 30000;                      // one request, start to response
  uint32_t subrequests = 50;                     // outbound fetch() calls per request
  uint64_t max_request_body = 10ull << 20;       // bytes; over it: 413 body_too_large
};

// Slow native operations (RSA key generation) of one isolate running at once on the process's
// background thread (bindings/background_work.h); past it the call fails with a RangeError.
inline constexpr uint32_t kMaxBackgroundJobsPerIsolate = 4;

// Why a tenant's isolate was stopped; each becomes a 503 with the matching SPEC §4 code.
enum class LimitKind { kNone, kMemory, kCpu, kWall };

// How many isolates and contexts one worker process keeps (SPEC §2 [server]).
struct PoolLimits {
  uint32_t max_isolates = 2000;                  // tenant isolates alive at once; LRU idle ones are evicted
  uint32_t warm_isolates = 16;                   // blank isolates kept ready for cold tenants
  uint32_t warm_contexts = 2;                    // ready contexts per "per_request" tenant
  uint32_t heap_slack_mb = 16;                   // granted past the heap limit so V8 can unwind a kill
  // A tenant whose isolate is killed twice for the same limit (memory or CPU) within
  // kill_window_ms gets that limit's 503 at once, without running, for kill_cooldown_ms, doubled
  // by each further such kill in the window (at most 16x): one request that allocates past its
  // budget, or runs a builtin V8 cannot interrupt, costs the loop up to seconds, and must not be
  // repeatable at will.
  uint32_t kill_window_ms = 10000;
  uint32_t kill_cooldown_ms = 1000;
};

// What one HTTP connection may hold or take (server/).
struct ConnectionLimits {
  size_t max_header_bytes = 64 * 1024;           // request line + headers; over it: 431
  uint32_t header_timeout_ms = 10000;            // first byte to end of headers; else 408
  uint32_t body_timeout_ms = 30000;              // between two reads of one body; else 408
  uint32_t idle_timeout_ms = 60000;              // keep-alive connection with nothing to do
  uint32_t drain_idle_ms = 1000;                 // the same while the worker drains (SIGTERM, reload)
  size_t max_pipelined = 32;                     // requests parsed ahead of their responses
  size_t max_buffered_output = 1 << 20;          // bytes not yet taken by the socket; past it, stop reading
  size_t max_streamed_output = 64 * 1024;        // a streamed response body's bytes not yet taken by the
                                                 // socket; past it, the body stream is not read
  size_t max_buffered_request_body = 64 * 1024;  // Content-Length up to this: the body is read whole before
                                                 // the handler runs; larger or chunked: streamed to it
};

// Outbound fetch() (server/http_client.h) and service bindings.
struct FetchLimits {
  uint32_t connect_timeout_ms = 10000;           // DNS + TCP connect + TLS handshake; else TypeError
  uint32_t idle_timeout_ms = 30000;              // no byte from the upstream for this long while waiting for
                                                 // or reading a response (not while the JS side is not reading)
  uint32_t pool_idle_ms = 30000;                 // a kept-alive connection unused this long is closed
  size_t max_idle_per_origin = 256;              // kept-alive connections per scheme://host:port (nginx
                                                 // keeps what its upstream block says; 8 churned a
                                                 // connection per request at 20 concurrent fetches)
  uint32_t max_redirects = 20;                   // redirect: "follow" (Fetch spec)
  size_t max_buffered_upload = 64 * 1024;        // a streamed request body's bytes not yet taken by the socket
  size_t max_buffered_response = 64 * 1024;      // response bytes queued for JS that it has not asked for
};

}  // namespace atl::isolates
