#include "server/serve_plan.h"

#include <unistd.h>

#include <cstdlib>

#include "base/log.h"
#include "base/strings.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "config/wrangler.h"
#include "server/etcd_client.h"
#include "kv/kv_backend.h"
#include "server/tls.h"

namespace atl::server {

TenantSpec SpecOf(config::TenantConfig tenant) {
  TenantSpec spec;
  spec.worker.tenant_name = tenant.name;
  spec.worker.script_path = tenant.script;
  spec.worker.limits = static_cast<const limits::TenantLimits&>(tenant.settings);
  spec.worker.per_request_context = tenant.settings.context != config::ContextMode::kShared;
  spec.worker.reuse_contexts = tenant.settings.context == config::ContextMode::kPerRequestHardened;
  spec.process_isolation = tenant.settings.process_isolation;
  spec.auto_isolation = tenant.settings.auto_isolation;
  for (config::EnvBinding& binding : tenant.env) spec.worker.env.push_back({std::move(binding), nullptr});
  spec.outbound = tenant.outbound;
  spec.worker.compatibility_flags = std::move(tenant.compatibility_flags);
  spec.worker.module_rules = std::move(tenant.rules);
  spec.routes = std::move(tenant.routes);
  spec.assets_config = std::move(tenant.assets);
  for (const std::string& cron : tenant.crons) {
    if (absl::StatusOr<config::CronSchedule> schedule = config::ParseCron(cron); schedule.ok()) {
      spec.crons.push_back(*std::move(schedule));  // the parser checked each already
    }
  }
  return spec;
}

namespace {

std::function<std::shared_ptr<kv::KvBackend>(const std::string&)>& SharedKv() {
  static auto* open = new std::function<std::shared_ptr<kv::KvBackend>(const std::string&)>();
  return *open;
}

}  // namespace

void UseSharedKv(std::function<std::shared_ptr<kv::KvBackend>(const std::string& name)> open) {
  SharedKv() = std::move(open);
}

absl::Status BindResources(TenantSpec* spec, kv::KvRegistry* stores) {
  if (spec->assets_config && spec->assets == nullptr) {
    absl::StatusOr<std::shared_ptr<const assets::AssetSet>> set = assets::AssetSet::Load(*spec->assets_config);
    if (!set.ok()) {
      return absl::Status(set.status().code(), base::StrCat("tenant ", spec->worker.tenant_name,
                                                            ": assets: ", base::ToStd(set.status().message())));
    }
    spec->assets = *std::move(set);
    spec->asset_codings = std::make_shared<AssetCodings>();
    // As wrangler warns and uploads the rest: a line of _redirects or _headers that breaks the
    // rules is left out, and said.
    for (const std::string& problem : spec->assets->rule_problems()) {
      base::LogLine(base::LogLevel::kWarn, "assets rule left out").Str("tenant", spec->worker.tenant_name).Str("line", problem).Emit();
    }
  }
  for (bindings::EnvBinding& binding : spec->worker.env) {
    if (binding.kind == "assets") binding.resource = std::const_pointer_cast<assets::AssetSet>(spec->assets);

    if (binding.kind != "kv") continue;
    if (SharedKv()) {
      binding.resource = SharedKv()(binding.value);
      continue;
    }
    absl::StatusOr<std::shared_ptr<kv::KvStore>> store = stores->Open(binding.value);
    if (!store.ok()) {
      return absl::Status(store.status().code(), base::StrCat("tenant ", spec->worker.tenant_name, ": kv.", binding.name,
                                                              ": ", base::ToStd(store.status().message())));
    }
    std::shared_ptr<kv::KvBackend> backend = std::make_shared<kv::SqliteKvBackend>(*store);
    binding.resource = std::move(backend);  // Worker::kv_store casts it back to KvBackend*
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<ServePlan> PlanFromConfig(const ServeOptions& options) {
  absl::StatusOr<config::Config> config = options.wrangler_paths.empty()
                                               ? config::LoadConfigFile(options.config_path)
                                               : config::LoadWranglerFiles(options.wrangler_paths, config::ProcessEnv(),
                                                                           options.wrangler_env);
  if (!config.ok()) return config.status();
  ServePlan plan;
  plan.admin_listen = config->server.admin_listen;
  plan.admin_token_env = config->server.admin_token_env;
  plan.workers = config->server.workers;
  plan.connection = config->server.connection;
  plan.cf_header = config->server.cf_header;
  plan.sandbox = config->server.sandbox;
  plan.user = config->server.user;
  plan.worker_memory_mb = config->server.worker_memory_mb;
  plan.prewarm_mb = config->server.prewarm_mb;
  plan.code_cache = config->server.code_cache;
  plan.do_max_storage = config->server.do_max_storage;
  plan.do_idle_ms = config->server.do_idle_ms;
  plan.websocket = config->server.websocket;
  plan.cluster = config->cluster;
  plan.source = config->path.string();
  plan.listen = config->server.listen;
  plan.data_dir = config->server.data_dir;
  if (config->server.tls) {
    // A bad certificate or key stops startup (and `atoll check`) with the file named.
    absl::StatusOr<std::shared_ptr<TlsServerContext>> tls =
        TlsServerContext::Load(config->server.tls->cert, config->server.tls->key, config->server.tls->certificates);
    if (!tls.ok()) return absl::Status(tls.status().code(), base::StrCat(config->path.string(), ": ", tls.status().message()));
    plan.tls = *std::move(tls);
  }
  plan.pool = config->server.pool;
  for (config::TenantConfig& tenant : config->tenants) plan.tenants.push_back(SpecOf(std::move(tenant)));
  return plan;
}

}  // namespace

namespace {

// Cluster mode: the command line over [cluster], then the defaults that need the host.
absl::Status PlanCluster(const ServeOptions& options, ServePlan* plan) {
  config::ClusterConfig& cluster = plan->cluster;
  if (!options.cluster_etcd.empty()) cluster.etcd = options.cluster_etcd;
  if (!options.node_name.empty()) cluster.node_name = options.node_name;
  if (!options.advertise.empty()) cluster.advertise = options.advertise;
  if (cluster.etcd.empty()) return absl::OkStatus();
  if (absl::StatusOr<EtcdClient::Endpoint> url = EtcdClient::ParseUrl(cluster.etcd); !url.ok()) {
    return absl::InvalidArgumentError(base::StrCat("cluster.etcd: ", url.status().message()));
  }
  if (cluster.node_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    for (char* c = host; *c != '\0'; ++c) *c = (*c >= 'A' && *c <= 'Z') ? static_cast<char>(*c - 'A' + 'a') : (*c == '.' ? '-' : *c);
    cluster.node_name = host;
  }
  if (!config::ValidClusterName(cluster.node_name)) {
    return absl::InvalidArgumentError(base::StrCat("cluster.node_name \"", cluster.node_name, "\": must match [a-z0-9-]{1,63} (--node-name)"));
  }
  if (cluster.advertise.empty()) cluster.advertise = plan->listen.front().ToString();
  if (!config::ParseListenAddress(cluster.advertise).ok()) {
    return absl::InvalidArgumentError(base::StrCat("cluster.advertise \"", cluster.advertise, "\": expected HOST:PORT"));
  }
  if (!plan->admin_listen) {
    return absl::InvalidArgumentError("cluster mode needs the admin API ([server] admin_listen or --admin-listen): deploys go through it");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServePlan> PlanServe(const ServeOptions& options) {
  ServePlan plan;
  if (options.from_files()) {
    absl::StatusOr<ServePlan> from_config = PlanFromConfig(options);
    if (!from_config.ok()) return from_config.status();
    plan = std::move(*from_config);
  } else if (!options.script_path.empty()) {
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
  if (options.admin_listen) plan.admin_listen = options.admin_listen;
  if (options.workers) plan.workers = *options.workers;
  // Tenants deployed through the admin API are kept in data_dir: `serve SCRIPT.js` with an
  // admin API and no --data-dir keeps them where a config file would (SPEC §2's default).
  if (plan.admin_listen && plan.data_dir.empty()) plan.data_dir = std::filesystem::absolute("atoll-data");
  if (absl::Status cluster = PlanCluster(options, &plan); !cluster.ok()) return cluster;
  return plan;
}

absl::StatusOr<std::string> AdminToken(const ServePlan& plan) {
  if (!plan.admin_listen) return std::string();
  const char* token = getenv(plan.admin_token_env.c_str());
  if (token == nullptr || *token == '\0') {
    return absl::FailedPreconditionError(
        base::StrCat("server.admin_listen: the admin API needs a token in $", plan.admin_token_env, ", which is not set"));
  }
  return std::string(token);
}

}  // namespace atl::server
