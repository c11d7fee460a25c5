#pragma once
// Every limit atoll enforces, in one place: per tenant (SPEC §2 [defaults]) and per connection
// (SPEC §4). Code that enforces a limit reads it from here; nobody else holds the constants: the
// config parser (config/config.cc) fills these structs directly, and their defaults are the
// defaults of the config keys. It lives in base/ because every layer reads it: config/ fills it,
// kv/ and isolates/ enforce it, and config/ and kv/ sit below isolates/. Plain structs, std only.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace atl::limits {

// What one tenant may use. Defaults are SPEC §2's [defaults].
struct TenantLimits {
  uint32_t memory_mb = 128;                      // V8 heap + ArrayBuffers of one isolate
  uint32_t cpu_ms = 50;                          // JS CPU time of one request and all it causes (cpu_accounts.h)
  uint32_t startup_cpu_ms = 400;                 // JS CPU time of the script's top level (as Workers)
  uint32_t wall_ms = 30000;                      // one request, start to response
  uint32_t subrequests = 50;                     // outbound fetch() calls per request
  uint32_t wait_until_ms = 30000;                // waitUntil promises after the response (as Workers);
                                                 // per_request: then the context is dropped
  uint64_t max_request_body = 10ull << 20;       // bytes; over it: 413 body_too_large
  uint32_t cache_mb = 64;                        // Cache API entries (caches.*) kept for the tenant; LRU beyond
  uint32_t max_websockets = 256;                 // WebSockets open at once per worker process (accepted
                                                 // `server` ends); past it the 101 is refused (500)
};

// What one isolate's JS may cause besides a request's own work (not configurable). `cpu_ms` is
// charged per account (isolates/cpu_accounts.h): a request's account covers its handler and all
// it causes after the response (timers, stream callbacks, fetch events, waitUntil work); JS that
// belongs to no request (timers armed by the script's top level) is charged to the isolate's
// background account, a bucket of `cpu_ms` refilled at `cpu_ms` per `background_cpu_window_ms`.
// An account that runs dry kills the isolate (503 cpu_limit).
struct RuntimeCaps {
  uint32_t background_cpu_window_ms = 10000;     // background JS: cpu_ms per this window (0.5% of a core
                                                 // at the default 50 ms)
  uint32_t platform_cpu_ms = 200;                // one load of a built-in module (js/lazy): atoll's own JS,
                                                 // not charged to the tenant, but bounded
  uint32_t max_pending_timers = 10000;           // per isolate; setTimeout/setInterval past it throw a RangeError
  uint32_t min_timer_ms = 1;                     // no event-loop timer is armed for less: one armed for 0 ms
                                                 // from its own callback would run again in the same loop turn
  uint32_t max_log_bytes = 256 * 1024;           // console output per request (Workers: 256 KB per
                                                 // invocation); past it one "truncated" line, then nothing
  uint32_t max_pbkdf2_iterations = 100000;       // crypto.subtle PBKDF2 runs as one C++ call the CPU watchdog
                                                 // cannot interrupt: capped, as Cloudflare Workers does
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
  uint32_t warm_contexts = 2;                    // ready contexts per "per_request" tenant at first
  uint32_t max_warm_contexts = 32;               // ... doubled up to this when requests outrun them
  uint32_t heap_slack_mb = 16;                   // granted past the heap limit so V8 can unwind a kill
  // A tenant whose isolate is killed twice for the same limit (memory or CPU) within
  // kill_window_ms gets that limit's 503 at once, without running, for kill_cooldown_ms, doubled
  // by each further such kill in the window (at most 16x): one request that allocates past its
  // budget, or runs a builtin V8 cannot interrupt, costs the loop up to seconds, and must not be
  // repeatable at will.
  uint32_t kill_window_ms = 10000;
  uint32_t kill_cooldown_ms = 1000;
  // A killed run that held the loop more than kill_overrun_ms past its kill (V8 finishes the
  // builtin in flight first: JSON.stringify or toUpperCase of a 512 MB string takes seconds)
  // refuses the tenant at once, for kill_overrun_factor times that long (at most
  // max_kill_cooldown_ms): repeating it can take at most ~1/(1+factor) of the loop.
  uint32_t kill_overrun_ms = 100;
  uint32_t kill_overrun_factor = 10;
  uint32_t max_kill_cooldown_ms = 60000;
  uint32_t retry_load_after_ms = 5000;           // a tenant whose script failed to load: 500 at once this long
  // A tenant idle for idle_before_reduce_ms gets a full GC that keeps its optimized code and its
  // heap's pages; idle for idle_before_deep_reduce_ms, a memory-reducing one (unused pages given
  // back, optimized code deoptimized: the next requests pay ~13 ms of CPU re-optimizing it). A
  // deep threshold not above the first: the memory-reducing GC at once (one stage).
  uint32_t idle_before_reduce_ms = 1000;
  uint32_t idle_before_deep_reduce_ms = 10000;   // [server] idle_before_deep_reduce_ms
  uint32_t reduce_budget_busy_ms = 20;           // of each 100 ms tick, at most this for those GCs while
  uint32_t reduce_budget_quiet_ms = 80;          // requests arrive, and this when none came since the last tick
};

// The supervisor's restarts and questions to its workers (server/supervisor.cc).
struct SupervisorLimits {
  uint32_t quick_death_ms = 5000;                // a worker that dies sooner is dying again and again:
  uint32_t max_restart_delay_ms = 10000;         // its restart waits 100 ms doubling up to this
  uint32_t answer_timeout_ms = 2000;             // a worker's question waits at most this for the others,
  uint32_t all_answer_timeout_ms = 30000;        // one for every worker (a deploy) this long: starting
                                                 // workers answer once they run
  uint32_t reload_timeout_ms = 60000;            // a reload (SIGHUP) waits at most this for new workers
  uint32_t first_restart_delay_ms = 100;         // the first delay of a worker dying again and again
  uint32_t max_reload_output = 64 * 1024;        // bytes of `atoll check`'s output a reload keeps for its log
};

// One KV namespace's SQLite file (kv/kv_store.cc).
struct KvLimits {
  uint32_t busy_timeout_ms = 5000;               // SQLite busy or locked: retried for up to this
  uint32_t puts_per_sweep = 16;                  // one sweep of expired rows every this many puts,
  uint32_t sweep_rows = 32;                      // at most this many rows
  // Cloudflare Workers KV's limits, which the bindings (bindings/kv.cc) check before the store.
  size_t max_key_bytes = 512;                    // UTF-8 bytes, and not empty
  size_t max_value_bytes = 25u << 20;            // 25 MiB
  size_t max_metadata_bytes = 1024;              // JSON-serialized
  int64_t min_expiration_ttl_s = 60;             // for expirationTtl and expiration
  uint32_t max_list_limit = 1000;                // list(): default and maximum
};

// The V8 code cache of one worker process (cache/code_cache.h): compiled code kept per script
// version. Every deploy adds a version, so both copies are bounded; least recently used first.
struct CodeCacheLimits {
  uint32_t memory_mb = 64;                       // blobs kept in memory ([server] code_cache_memory_mb); an
                                                 // evicted one is read from disk again when next needed
  uint32_t disk_mb = 1024;                       // files under data_dir/code-cache ([server] code_cache_disk_mb);
                                                 // the least recently written are removed past it
  uint32_t wasm_mb = 256;                        // compiled WebAssembly modules shared by the isolates
                                                 // (bindings/wasm_modules.h), by module size ([server]
                                                 // wasm_cache_mb); an isolate keeps what it uses either way
};

// The Cache API's store (cache/http_cache.cc, bindings/cache_api.cc), shared by all workers.
struct HttpCacheLimits {
  uint32_t busy_timeout_ms = 5000;               // SQLite busy or locked: retried for up to this
  size_t max_entry_bytes = 32u << 20;            // one response body; larger ones are not stored
  size_t max_key_bytes = 16 * 1024;              // cache name + URL
  uint32_t puts_per_sweep = 16;                  // expired entries purged every this many puts,
  uint32_t sweep_rows = 64;                      // at most this many
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
  uint32_t max_connections = 0;                  // open client connections per worker; at it, the oldest idle
                                                 // one is closed for a new one, or accepting waits. 0: from
                                                 // the open-file limit (MaxConnectionsFor), raised soft to hard
  uint32_t linger_ms = 2000;                     // after a final response with unread input: the write side is
                                                 // shut and input is drained this long before the close
  uint32_t drain_ms = 10000;                     // SIGTERM/SIGINT: how long in-flight requests may take to
                                                 // finish ([server] drain_ms)
};

// One open WebSocket (server/websocket_session.cc). Defaults follow Workers where it has them
// (1 MiB messages). [server] websocket_ping_ms and websocket_idle_ms set the two timers.
struct WebSocketLimits {
  size_t max_message_bytes = 1 << 20;            // one message, all fragments; over it: close 1009
  size_t max_buffered_output = 1 << 20;          // bytes sent and not yet taken by the socket; past it the
                                                 // peer is not reading: close 1008. Pongs wait (coalesced)
                                                 // while anything is unsent
  uint32_t ping_interval_ms = 30000;             // no input this long: a ping is sent (0: never)
  uint32_t idle_timeout_ms = 90000;              // no input this long (pongs count): closed 1001 (0: never)
  uint32_t close_timeout_ms = 5000;              // after our close frame: the peer's close awaited this long
};

// The admin API's listener (server/admin_api.cc): operators' tools, not the public. Its requests
// are read with ConnectionLimits too; these replace the ones that differ.
struct AdminLimits {
  uint32_t max_connections = 128;                // a flood of idle sockets sheds the oldest past this
  size_t max_buffered_output = 8 << 20;          // bytes of answers not yet taken by the socket
};

// One socket read, server connections and fetch() alike (server/stream_socket.cc): what a paused
// parser keeps unread, and the largest body piece handed on at once, are at most this.
constexpr size_t kReadBufferBytes = 64 * 1024;

// Descriptors a worker keeps for everything but client connections: listeners, outbound fetch
// sockets, KV files (3 a namespace), the supervisor's channel, libuv's and V8's own.
constexpr uint32_t kReservedFds = 256;

// Whatever max_connections says, a connection accepted within this many descriptors of the
// open-file limit closes the connection idle the longest (the other descriptors grew).
constexpr uint32_t kFdHeadroom = 32;

// The default max_connections for an open-file limit of `nofile`.
constexpr uint32_t MaxConnectionsFor(uint64_t nofile) {
  if (nofile >= 2ull * kReservedFds) return static_cast<uint32_t>(std::min<uint64_t>(nofile - kReservedFds, 1u << 30));
  return static_cast<uint32_t>(nofile / 2 > 0 ? nofile / 2 : 1);
}

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
  uint32_t max_pending_heads = 6;                // per request: fetches waiting for their response head at
                                                 // once; later ones wait to connect (Workers' "simultaneous
                                                 // open connections", server/pending_heads.h)
  size_t max_buffered_upload = 64 * 1024;        // a streamed request body's bytes not yet taken by the socket
  size_t max_buffered_response = 64 * 1024;      // response bytes queued for JS that it has not asked for
  // Service bindings: one client request and every call made for it form a chain.
  uint32_t max_service_depth = 32;               // Workers invoked one inside the other (the client's
                                                 // request is 1; Cloudflare's limit per chain)
  uint32_t max_service_calls = 1000;             // service calls in the whole chain, every level together,
                                                 // and the fetches of the Workers it called (subrequests caps
                                                 // each request: 50^32 calls would not be capped)
};

}  // namespace atl::limits
