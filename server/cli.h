#pragma once
// The command line of SPEC §1, parsed into what each command needs.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/listen_address.h"
#include "isolates/limits.h"

namespace atl::server {

struct ServeOptions {
  std::string script_path;                    // `serve SCRIPT.js`: one tenant "default" on every route
  std::string config_path;                    // `serve --config FILE` / `check --config FILE`
  std::vector<std::string> wrangler_paths;    // `--wrangler FILE`...: wrangler.toml / .json / .jsonc, a tenant each
  bool test_scheduled = false;                // --test-scheduled: /__scheduled?cron=... fires scheduled()
  std::string wrangler_env;                   // --env NAME (-e): each --wrangler file's [env.NAME]
  // Whether the tenants come from a file (--config or --wrangler) rather than one script.
  bool from_files() const { return !config_path.empty() || !wrangler_paths.empty(); }
  std::string data_dir;                       // --data-dir (overrides the config's)
  std::vector<config::ListenAddress> listen;  // --listen (overrides the config's)
  std::optional<config::ListenAddress> admin_listen;  // --admin-listen (overrides the config's)
  std::optional<uint32_t> workers;            // --workers N|auto (0: auto; overrides the config's)
  // Cluster mode (README.md "Running a fleet"; override the config's [cluster]).
  std::string cluster_etcd;                   // --cluster ETCD_URL
  std::string node_name;                      // --node-name N
  std::string advertise;                      // --advertise HOST:PORT
  bool access_log = true;                     // --no-access-log: no "access" line per request
  bool keep_going = false;                    // check --keep-going: a tenant that does not load is
                                              // reported, not an error (what a SIGHUP reload runs)
  isolates::TenantLimits tenant_limits;
  isolates::ConnectionLimits connection_limits;
};

// `atoll control`: the placement controller (server/control_plane.h).
struct ControlOptions {
  std::string etcd;               // --cluster ETCD_URL
  std::string name;               // --name (default: control-PID)
  std::string prefix = "/atoll/"; // --prefix: as the nodes' [cluster] prefix
  int replicas = 2;               // --replicas K (capped by the live nodes)
  int64_t lease_ttl_s = 3;        // --lease-ttl-s: the leader's lease
  uint32_t interval_ms = 10000;   // --interval-s: a pass from the load reports this often
  double headroom = 0.2;          // --headroom: fraction of each node kept free
  double rate_per_core = 1000;    // --rate-per-core: requests/s a node's core is taken to serve
};

struct CommandLine {
  enum class Command { kServe, kCheck, kVersion, kHelp, kControl } command = Command::kHelp;
  ServeOptions serve;
  ControlOptions control;
};

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The usage text printed by `atoll help` and on errors.
const char* UsageText();

}  // namespace atl::server
