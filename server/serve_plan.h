#pragma once
// What `atoll serve` and `atoll check` will run, from the command line and the config file
// (SPEC §1, §2): the listeners, every tenant as the server runs it, the pool limits and where
// compiled code is kept. `serve SCRIPT.js` is a config of one tenant "default" on every route.

#include <filesystem>
#include <vector>

#include "absl/status/statusor.h"
#include "config/listen_address.h"
#include "isolates/limits.h"
#include "server/cli.h"
#include "server/tenant_manager.h"

namespace atl::server {

struct ServePlan {
  std::vector<config::ListenAddress> listen;
  std::vector<TenantSpec> tenants;
  isolates::PoolLimits pool;
  std::filesystem::path data_dir;   // empty: compiled code is kept in memory only
  std::string source;               // the config file, or the script, for the log
  uint32_t workers = 1;             // what the config asked for (0: auto); one process serves for now
  uint32_t drain_ms = 10000;        // SIGTERM/SIGINT: how long in-flight requests may take to finish
};

absl::StatusOr<ServePlan> PlanServe(const ServeOptions& options);

}  // namespace atl::server
