#pragma once
// The TOML configuration of SPEC §2, parsed and validated as a whole before anything starts.
// Every error names the file, line and key path ("atoll.toml:12:1: tenants[3].routes[0]: ...");
// nothing half-loads. Relative paths in the file are relative to the file's folder.
//
//   absl::StatusOr<Config> config = LoadConfigFile("atoll.toml");
//   for (const TenantConfig& tenant : config->tenants) ...

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/limits.h"
#include "config/assets_config.h"
#include "config/env_binding.h"
#include "config/listen_address.h"
#include "config/module_rules.h"
#include "config/route_pattern.h"

namespace atl::config {

// kPerRequestHardened: per_request isolation in locked-down contexts reused request after request
// (README "What per_request guarantees and what it does not").
enum class ContextMode { kShared, kPerRequest, kPerRequestHardened };

// A tenant's limits and context mode: [defaults], then the tenant's own overrides. The limits
// are base/limits.h's struct itself (its defaults are the keys' defaults); the runtime takes
// that part as it is (serve_plan.cc).
struct TenantSettings : limits::TenantLimits {
  ContextMode context = ContextMode::kShared;
  // `isolation = "process"`: the tenant gets worker processes of its own (README "Isolation
  // groups", server/supervisor.h); "shared" (the default): it runs in the shared workers.
  bool process_isolation = false;
  // `isolation = "auto"`: shared until repeated limit kills move it to a process of its own.
  bool auto_isolation = false;
};

using NamedValue = std::pair<std::string, std::string>;

struct TenantConfig {
  std::string name;                       // [a-z0-9-]{1,63}
  std::filesystem::path script;           // absolute; empty for a tenant of static assets only
  std::vector<RoutePattern> routes;       // may be empty (reachable only through services)
  TenantSettings settings;
  std::vector<EnvBinding> env;           // env.NAME of every kind (env_binding.h), in file order
  std::vector<std::string> outbound;      // host patterns fetch() may reach
  std::vector<std::string> compatibility_flags;  // wrangler's flags, e.g. "nodejs_compat" (README)
  std::vector<std::string> crons;         // [tenants.triggers] crons: 5-field cron expressions (cron.h), UTC
  std::vector<ModuleRule> rules;          // wrangler's module rules, in file order (module_rules.h)
  std::optional<AssetsConfig> assets;     // [tenants.assets]: static assets served before the Worker

  // The (name, value) of the bindings of kind `kind`, in file order.
  std::vector<NamedValue> Bindings(std::string_view kind) const;
};

// `[[server.tls.certificates]]`: a certificate served to clients that ask for one of `hosts` (SNI).
struct TlsCertificate {
  std::vector<std::string> hosts;  // lower-case: "example.com" or "*.example.com" (one label in front)
  std::filesystem::path cert;      // absolute
  std::filesystem::path key;       // absolute
};

struct TlsConfig {
  std::filesystem::path cert;  // absolute: the default, for every other name and for no name
  std::filesystem::path key;   // absolute
  std::vector<TlsCertificate> certificates;  // no host is listed twice
};

struct ServerConfig {
  std::vector<ListenAddress> listen;      // default: 127.0.0.1:8080
  uint32_t workers = 0;                   // 0 = "auto" (one per core)
  std::optional<ListenAddress> admin_listen;
  std::string admin_token_env = "ATOLL_ADMIN_TOKEN";
  std::filesystem::path data_dir;         // absolute; default "<config folder>/atoll-data"
  limits::PoolLimits pool;                // max_isolates
  limits::ConnectionLimits connection;    // drain_ms, max_connections (0: from the open-file limit)
  std::optional<TlsConfig> tls;
  // The header the operator's edge sets to a JSON object merged into request.cf (lower-cased);
  // taken out of every request. Empty (the default): no header is trusted.
  std::string cf_header;
  // Worker processes run under the seccomp filter of server/worker_sandbox.h (default on).
  bool sandbox = true;
  // Started as root: the workers run as this user (server/worker_user.h). Empty: as the supervisor.
  std::string user;
  // A ceiling on each worker process's memory (RLIMIT_DATA, server/worker_sandbox.h); 0: none.
  uint32_t worker_memory_mb = 0;
  // Tenants loaded in the background after start-up, before their first request, until a worker
  // process's resident memory grew by this many MB (server/prewarmer.h); 0 (the default): none.
  uint32_t prewarm_mb = 0;
  // Durable Objects (server/durable_objects_service.h): one object's storage limit, and how long
  // an object stays in memory without events.
  uint64_t do_max_storage = uint64_t{1} << 30;
  uint32_t do_idle_ms = 10000;
  limits::WebSocketLimits websocket;     // websocket_ping_ms, websocket_idle_ms
  limits::CodeCacheLimits code_cache;    // code_cache_memory_mb, code_cache_disk_mb, wasm_cache_mb
};

// [cluster]: running as one node of a fleet (README.md "Running a fleet").
struct ClusterConfig {
  // The control plane: etcd's client URL ("http://HOST:PORT", its v3 JSON gateway;
  // server/cluster_node.h). Empty: a single node, deploys kept in data_dir only.
  std::string etcd;
  std::string node_name;   // this node's name in etcd (default: the host name)
  std::string advertise;   // HOST:PORT others reach this node's listener at (default: the first listen)
  std::string prefix = "/atoll/";  // every key under it (config/cluster_layout.h)
  uint32_t lease_ttl_s = 10;        // the node's registration lease
  uint32_t deploy_timeout_ms = 30000;  // an admin deploy waits this long for every node (then 202)
  // A libpq connection string (URI or key=value): KV namespaces live in this PostgreSQL database
  // instead of data_dir's SQLite files (server/pg_kv.h). Empty: SQLite.
  std::string postgres;
};

struct Config {
  std::filesystem::path path;             // the file it came from (absolute), empty if parsed from text
  ServerConfig server;
  ClusterConfig cluster;
  TenantSettings defaults;
  std::vector<TenantConfig> tenants;
};

// The process's environment (EnvLookup: env_binding.h).
EnvLookup ProcessEnv();

// Parses `text` as if read from `file` (used in messages and to resolve relative paths).
absl::StatusOr<Config> ParseConfig(std::string_view text, const std::filesystem::path& file,
                                   const EnvLookup& env = ProcessEnv());
absl::StatusOr<Config> LoadConfigFile(const std::filesystem::path& file,
                                      const EnvLookup& env = ProcessEnv());

}  // namespace atl::config
