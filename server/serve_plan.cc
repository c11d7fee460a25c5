#include "server/serve_plan.h"

#include "base/strings.h"
#include "config/config.h"

namespace atl::server {
namespace {

isolates::TenantLimits LimitsOf(const config::TenantSettings& settings) {
  isolates::TenantLimits limits;
  limits.memory_mb = settings.memory_mb;
  limits.cpu_ms = settings.cpu_ms;
  limits.wall_ms = settings.wall_ms;
  limits.subrequests = settings.subrequests;
  limits.max_request_body = settings.max_request_body;
  return limits;
}

absl::StatusOr<ServePlan> PlanFromConfig(const ServeOptions& options) {
  absl::StatusOr<config::Config> config = config::LoadConfigFile(options.config_path);
  if (!config.ok()) return config.status();
  // Parts of SPEC §2 that later issues bring: a config relying on TLS or an admin API must not
  // come up silently without them.
  if (config->server.tls) {
    return absl::UnimplementedError("server.tls: TLS is not available in this version of atoll");
  }
  if (config->server.admin_listen) {
    return absl::UnimplementedError("server.admin_listen: the admin API is not available in this version of atoll");
  }
  ServePlan plan;
  plan.workers = config->server.workers;
  plan.drain_ms = config->server.drain_ms;
  plan.source = config->path.string();
  plan.listen = config->server.listen;
  plan.data_dir = config->server.data_dir;
  plan.pool.max_isolates = config->server.max_isolates;
  for (size_t i = 0; i < config->tenants.size(); ++i) {
    config::TenantConfig& tenant = config->tenants[i];
    TenantSpec spec;
    spec.worker.tenant_name = tenant.name;
    spec.worker.script_path = tenant.script;
    spec.worker.limits = LimitsOf(tenant.settings);
    spec.worker.per_request_context = tenant.settings.context == config::ContextMode::kPerRequest;
    spec.worker.env = tenant.vars;
    spec.worker.env.insert(spec.worker.env.end(), tenant.secrets.begin(), tenant.secrets.end());
    for (auto& [name, namespace_name] : tenant.kv) spec.worker.kv.push_back({name, namespace_name, nullptr});
    spec.worker.services = tenant.services;
    spec.worker.wasm = tenant.wasm;
    spec.outbound = tenant.outbound;
    spec.routes = std::move(tenant.routes);
    plan.tenants.push_back(std::move(spec));
  }
  return plan;
}

}  // namespace

absl::StatusOr<ServePlan> PlanServe(const ServeOptions& options) {
  ServePlan plan;
  if (!options.config_path.empty()) {
    absl::StatusOr<ServePlan> from_config = PlanFromConfig(options);
    if (!from_config.ok()) return from_config.status();
    plan = std::move(*from_config);
  } else {
    TenantSpec spec;
    spec.worker.script_path = options.script_path;
    spec.worker.limits = options.tenant_limits;
    spec.routes.push_back(*config::ParseRoutePattern("*/*"));
    plan.tenants.push_back(std::move(spec));
    plan.source = options.script_path;
  }
  if (!options.listen.empty()) plan.listen = options.listen;
  if (plan.listen.empty()) plan.listen.push_back(*config::ParseListenAddress("127.0.0.1:8080"));
  if (!options.data_dir.empty()) plan.data_dir = std::filesystem::absolute(options.data_dir);
  return plan;
}

}  // namespace atl::server
