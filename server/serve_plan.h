#pragma once
// What `atoll serve` and `atoll check` will run, from the command line and the config file
// (SPEC §1, §2): the listeners, every tenant as the server runs it, the pool limits and where
// compiled code is kept. `serve SCRIPT.js` is a config of one tenant "default" on every route.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "config/listen_address.h"
#include "kv/kv_backend.h"
#include "kv/kv_store.h"
#include "isolates/limits.h"
#include "server/cli.h"
#include "server/tenant_manager.h"

namespace atl::server {

class TlsServerContext;

struct ServePlan {
  std::vector<config::ListenAddress> listen;
  std::vector<TenantSpec> tenants;
  isolates::PoolLimits pool;
  std::filesystem::path data_dir;   // empty: compiled code is kept in memory only
  std::string source;               // the config file, or the script, for the log
  // [server.tls]: the loaded certificates and keys (null: plaintext).
  std::shared_ptr<TlsServerContext> tls;
  uint32_t workers = 1;             // worker processes (0: one per core)
  // [server] drain_ms and max_connections (0: from the open-file limit); the rest are defaults.
  isolates::ConnectionLimits connection;
  std::optional<config::ListenAddress> admin_listen;   // the admin API, if any
  std::string admin_token_env = "ATOLL_ADMIN_TOKEN";   // where its token is read from
  uint64_t do_max_storage = uint64_t{1} << 30;  // [server] do_max_storage (durable_objects_service.h)
  uint32_t do_idle_ms = 10000;                   // [server] do_idle_ms
  limits::WebSocketLimits websocket;  // [server] websocket_ping_ms, websocket_idle_ms
  limits::CodeCacheLimits code_cache;  // [server] code_cache_memory_mb, code_cache_disk_mb (code_cache.h), wasm_cache_mb
  bool sandbox = true;               // [server] sandbox (worker_sandbox.h)
  std::string user;                  // [server] user (worker_user.h)
  uint32_t worker_memory_mb = 0;     // [server] worker_memory_mb (worker_sandbox.h; 0: none)
  uint32_t prewarm_mb = 0;           // [server] prewarm_mb (prewarmer.h; 0: none)
  std::string cf_header;             // [server] cf_header: the trusted edge header for request.cf ("": none)
  // [cluster] and --cluster/--node-name/--advertise (etcd empty: a single node). In cluster mode
  // node_name and advertise are always set (the host name; the first listen address).
  config::ClusterConfig cluster;
};

// A tenant of the config file (or of one deployed through the admin API) as the server runs it.
TenantSpec SpecOf(config::TenantConfig tenant);
// Opens what `spec` needs besides its script: the KV namespaces it binds, in `stores` (SQLite)
// or through the opener UseSharedKv set (PostgreSQL, cluster mode), and its static assets, read
// into memory (assets/asset_set.h; env.BINDING of kind "assets" gets them too).
absl::Status BindResources(TenantSpec* spec, kv::KvRegistry* stores);
// From now on this process's KV namespaces are opened by `open` (null: SQLite again).
void UseSharedKv(std::function<std::shared_ptr<kv::KvBackend>(const std::string& name)> open);

absl::StatusOr<ServePlan> PlanServe(const ServeOptions& options);

// The admin API's bearer token, from the environment variable `admin_token_env` names: "" with
// no admin API, an error naming the variable when it is unset or empty.
absl::StatusOr<std::string> AdminToken(const ServePlan& plan);

}  // namespace atl::server
