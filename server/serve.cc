#include "server/serve.h"

#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/cache_api.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/wasm_modules.h"
#include "cache/code_cache.h"
#include "cache/http_cache.h"
#include "kv/kv_store.h"
#include "server/pg_kv.h"
#include "server/admin_api.h"
#include "server/cluster_admin.h"
#include "server/cluster_forward.h"
#include "server/cluster_node.h"
#include "server/cluster_objects.h"
#include "server/durable_objects_service.h"
#include "kv/do_store.h"
#include "server/pg_do_storage.h"
#include "server/http_server.h"
#include "server/load_reporter.h"
#include "server/metrics.h"
#include "server/serve_plan.h"
#include "server/tenant_manager.h"
#include "server/tenant_store.h"
#include "server/supervisor.h"
#include "server/supervisor_internal.h"
#include "server/tls.h"
#include "server/worker_link.h"
#include "server/worker_sandbox.h"

namespace atl::server {
namespace {

// SIGTERM/SIGINT: stop accepting, let the requests already received finish (at most
// `drain_ms`), then close everything and return from the loop. A second signal stops at once.
struct StopSignals {
  uv_signal_t sigint, sigterm;
  uv_timer_t drain_timer;
  HttpServer* server = nullptr;
  TenantManager* tenants = nullptr;
  AdminApi* admin = nullptr;
  DurableObjectsService* durable_objects = nullptr;
  ClusterNode* cluster_node = nullptr;
  ClusterAdmin* cluster_admin = nullptr;
  LoadReporter* load_reporter = nullptr;
  ClusterForward* cluster_forward = nullptr;
  ClusterObjects* cluster_objects = nullptr;
  uint32_t drain_ms = 0;
  uint64_t drain_started_ms = 0;
  bool draining = false;
  WorkerLink* link = nullptr;
};

void StopNow(StopSignals* stop) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&stop->drain_timer))) return;
  stop->server->Shutdown();
  if (stop->admin != nullptr) stop->admin->Shutdown();
  if (stop->durable_objects != nullptr) stop->durable_objects->Shutdown();
  if (stop->cluster_node != nullptr) stop->cluster_node->Shutdown();
  if (stop->cluster_admin != nullptr) stop->cluster_admin->Shutdown();
  if (stop->load_reporter != nullptr) stop->load_reporter->Shutdown();
  if (stop->cluster_forward != nullptr) stop->cluster_forward->Shutdown();
  if (stop->cluster_objects != nullptr) stop->cluster_objects->Shutdown();
  stop->tenants->LogStats();
  stop->tenants->Shutdown();
  stop->link->Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&stop->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop->sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop->drain_timer), nullptr);
}

// A signal, or the supervisor gone (signum 0): drain, or stop now if draining already.
void StopOrDrain(StopSignals* stop, int signum) {
  if (stop->draining) {
    base::LogLine(base::LogLevel::kInfo, "shutting down now").Int("signal", signum).Emit();
    StopNow(stop);
    return;
  }
  stop->draining = true;
  stop->tenants->scheduled().StopCrons();  // a new generation's worker 0 fires them now
  if (stop->cluster_objects != nullptr) stop->cluster_objects->Release();  // before the lease goes
  stop->tenants->StopPrewarm();
  if (stop->cluster_node != nullptr) stop->cluster_node->Leave();  // out of nodes/ at once
  stop->drain_started_ms = uv_now(stop->server->loop());
  base::LogLine(base::LogLevel::kInfo, signum == 0 ? "the supervisor is gone; shutting down" : "shutting down")
      .Int("signal", signum)
      .Int("in_flight", static_cast<int64_t>(stop->server->in_flight()))
      .Int("drain_ms", stop->drain_ms)
      .Emit();
  stop->server->Drain();
  if (stop->admin != nullptr) stop->admin->Drain();
  uv_timer_start(
      &stop->drain_timer,
      [](uv_timer_t* timer) {
        auto* stop = static_cast<StopSignals*>(timer->data);
        bool late = uv_now(timer->loop) - stop->drain_started_ms >= stop->drain_ms;
        size_t admin = stop->admin != nullptr ? stop->admin->in_flight() + stop->admin->connection_count() : 0;
        bool leaving = stop->cluster_node != nullptr && stop->cluster_node->leaving();
        if ((stop->server->in_flight() != 0 || stop->server->connection_count() != 0 || admin != 0 || leaving) && !late) return;
        if (late) {
          base::LogLine(base::LogLevel::kWarn, "drain_ms passed with requests in flight")
              .Int("in_flight", static_cast<int64_t>(stop->server->in_flight()))
              .Emit();
        }
        StopNow(stop);
      },
      0, 10);
}

// Raises the soft open-file limit to the hard one, as nginx's worker_rlimit_nofile would.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  // An unlimited hard limit is still capped by the kernel's nr_open.
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? (1u << 20) : limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// The connection limits of this worker: the command line's, then the config file's
// max_connections; 0 left: HttpServer derives it from the open-file limit.
isolates::ConnectionLimits ConnectionLimitsOf(const ServeOptions& options, const ServePlan& plan) {
  RaiseOpenFileLimit();
  isolates::ConnectionLimits limits = options.connection_limits;
  if (limits.max_connections == 0) limits.max_connections = plan.connection.max_connections;
  return limits;
}

std::unique_ptr<cache::CodeCache> MakeCodeCache(const ServePlan& plan) {
  if (plan.data_dir.empty()) return std::make_unique<cache::CodeCache>(plan.code_cache);
  return std::make_unique<cache::CodeCache>(plan.data_dir / "code-cache", plan.code_cache);
}

// Ignores what a script does at its top level beyond compiling and running (check only).
class CheckHost : public bindings::WorkerHost {
 public:
  void OnResponse(uint64_t, const bindings::ResponseView&) override {}
  void OnScriptError(uint64_t, std::string_view) override {}
  void SetTimer(uint64_t, double, bool) override {}
  void ClearTimer(uint64_t) override {}
  void OnKilled(isolates::LimitKind) override {}
};

// One worker process (started by the supervisor with `role`): the tenants and the HTTP front end
// on the listeners it was handed, until SIGTERM/SIGINT or the supervisor goes away.
int RunWorker(const ServeOptions& options, const WorkerRole& role) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);  // reloads are the supervisor's: it starts new workers
  if (const char* level = getenv("ATOLL_LOG_LEVEL")) base::SetMinLogLevel(base::ParseLogLevel(level));
  absl::StatusOr<ServePlan> plan = PlanServe(options);
  if (!plan.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(plan.status().message())).Emit();
    return 1;
  }
  // Before V8 starts: the ceiling covers everything this process commits (worker_sandbox.h).
  if (absl::Status limited = LimitWorkerMemory(plan->worker_memory_mb); !limited.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(limited.message())).Emit();
    return 1;
  }
  // The admin API's token is read now: no admin listener without one.
  absl::StatusOr<std::string> admin_token = AdminToken(*plan);
  if (!admin_token.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(admin_token.status().message())).Emit();
    return 1;
  }
  // Tenants deployed through the admin API win over the config file's (SPEC §5).
  TenantStore tenant_store(plan->data_dir / "tenants", plan->admin_token_env);
  if (!plan->data_dir.empty()) {
    // Under the deploy lock: a deploy that commits while this worker starts (tenant.toml
    // rewritten, the older script removed) is read whole or not at all, never half.
    TenantStore::Lock lock = tenant_store.Exclusive();
    absl::StatusOr<TenantStore::Loaded> deployed = tenant_store.Load();
    if (!deployed.ok()) {
      base::LogLine(base::LogLevel::kError, base::StrCat("data_dir tenants: ", base::ToStd(deployed.status().message()))).Emit();
      return 1;
    }
    auto drop = [&](const std::string& name) {
      std::erase_if(plan->tenants, [&](const TenantSpec& spec) { return spec.worker.tenant_name == name; });
    };
    for (const std::string& name : deployed->deleted) drop(name);
    for (size_t i = 0; i < deployed->tenants.size(); ++i) {
      drop(deployed->tenants[i].name);
      TenantSpec spec = SpecOf(std::move(deployed->tenants[i]));
      spec.version = deployed->versions[i];
      spec.etag = deployed->etags[i];
      spec.revision = deployed->revisions[i];
      plan->tenants.push_back(std::move(spec));
    }
    if (!deployed->tenants.empty()) {
      base::LogLine(base::LogLevel::kInfo, "deployed tenants loaded from data_dir")
          .Int("tenants", static_cast<int64_t>(deployed->tenants.size()))
          .Emit();
    }
  }
  // One store per KV namespace, shared by every tenant that binds it; kept open until exit.
  kv::KvRegistry kv_stores(plan->data_dir);
  // Cluster mode: KV on PostgreSQL, one connection per worker process on its loop (pg_kv.h).
  std::unique_ptr<PgKvNamespaces> shared_kv;
  if (!plan->cluster.postgres.empty()) {
    shared_kv = std::make_unique<PgKvNamespaces>(uv_default_loop(), plan->cluster.postgres);
    UseSharedKv([kv = shared_kv.get()](const std::string& name) { return kv->Open(name); });
  }
  ConfigureDurableObjects(plan->data_dir.string(), role.index, plan->do_max_storage, plan->do_idle_ms);
  // Cluster mode: every Durable Object's commits go to PostgreSQL too, on a connection of their
  // own (pg_do_storage.h). Kept until the process exits (open objects hold it).
  if (!plan->cluster.postgres.empty()) {
    static auto* shared_do = new std::shared_ptr<PgDoStorage>(std::make_shared<PgDoStorage>(uv_default_loop(), plan->cluster.postgres));
    kv::DoConfig().backend = *shared_do;
  }
  for (TenantSpec& spec : plan->tenants) {
    absl::Status bound = BindResources(&spec, &kv_stores);
    if (!bound.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(bound.message())).Emit();
      return 1;
    }
  }
  // The Cache API's store, shared by every worker process through SQLite (cache/http_cache.h).
  if (!plan->data_dir.empty()) {
    absl::StatusOr<std::unique_ptr<cache::HttpCache>> http_cache =
        cache::HttpCache::Open(plan->data_dir / "cache" / "http_cache.sqlite3");
    if (!http_cache.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(http_cache.status().message())).Emit();
      return 1;
    }
    bindings::SetHttpCache(std::shared_ptr<cache::HttpCache>(*std::move(http_cache)));
  }
  uv_loop_t* loop = uv_default_loop();
  std::unique_ptr<cache::CodeCache> code_cache = MakeCodeCache(*plan);
  bindings::SetWasmModuleCacheLimit(size_t{plan->code_cache.wasm_mb} << 20);
  TenantManager tenants(loop, plan->pool, code_cache.get());
  // Tenants deployed later get isolates made with at least the default heap limit.
  if (plan->admin_listen || !plan->cluster.etcd.empty()) tenants.AcceptDeploys(isolates::TenantLimits().memory_mb);
  // What the sandbox leaves readable (worker_sandbox.h): the scripts' folders, data_dir.
  WorkerSandboxPaths sandbox_paths;
  if (!plan->data_dir.empty()) {
    sandbox_paths.read_write.push_back(plan->data_dir);
    // SQLite's temporary files (large sorts of a Durable Object's sql.exec, say) go under
    // data_dir, the one folder a sandboxed worker may write in.
    std::error_code ec;
    std::filesystem::create_directories(plan->data_dir / "tmp", ec);
    if (plan->sandbox && !ec) setenv("SQLITE_TMPDIR", (plan->data_dir / "tmp").c_str(), 1);
  }
  if (!plan->source.empty()) sandbox_paths.read_only.push_back(std::filesystem::path(plan->source).parent_path());
  for (const TenantSpec& tenant : plan->tenants) {
    if (tenant.has_worker()) sandbox_paths.read_only.push_back(tenant.worker.script_path.parent_path());
    for (const bindings::EnvBinding& binding : tenant.worker.env) {  // [tenants.wasm] files: absolute paths
      if (binding.kind == "wasm") sandbox_paths.read_only.push_back(std::filesystem::path(binding.value).parent_path());
    }
  }
  absl::Status started = tenants.Start(std::move(plan->tenants));
  if (!started.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(started.message())).Emit();
    return 1;
  }
  // Cluster mode: requests for tenants placed on other nodes are forwarded (cluster_forward.h).
  std::unique_ptr<ClusterForward> cluster_forward;
  if (!plan->cluster.etcd.empty()) cluster_forward = std::make_unique<ClusterForward>(loop, plan->cluster, &tenants);
  HttpServer server(loop, ConnectionLimitsOf(options, *plan),
                    cluster_forward ? static_cast<RequestSink*>(cluster_forward.get()) : &tenants);
  tenants.set_server(&server);
  if (cluster_forward) server.set_node_name(plan->cluster.node_name);
  // Cluster mode: Durable Objects have one owner node each (cluster_objects.h).
  std::unique_ptr<ClusterObjects> cluster_objects;
  if (cluster_forward && !plan->data_dir.empty()) {
    cluster_objects = std::make_unique<ClusterObjects>(loop, plan->cluster);
    cluster_objects->Install();
    cluster_forward->set_objects(cluster_objects.get());
    tenants.set_object_nodes([forward = cluster_forward.get()](
                                 std::string_view node, TenantManager::NodeTarget* out) {
      if (!forward->AddressOf(node, &out->host, &out->port, &out->advertise)) return false;
      out->secret = forward->secret().value();
      return true;
    });
  }
  server.SetTls(plan->tls);
  server.set_cf_header(plan->cf_header);
  server.set_websocket_limits(plan->websocket);
  Metrics metrics(
      [&tenants](int32_t target) -> std::string_view {
        return target < 0 ? std::string_view() : std::string_view(tenants.TenantName(static_cast<uint32_t>(target)));
      },
      options.access_log);
  metrics.set_exported([&tenants](int32_t target) { return target < 0 || tenants.Serving(static_cast<uint32_t>(target)); });
  // An isolation group's process does not count requests: the shared worker that forwarded each
  // one counts it (and logs its access line) once, as the client saw it (isolation.h).
  if (tenants.isolation().own().empty()) server.set_observer(&metrics);
  if (cluster_forward) cluster_forward->set_metrics(&metrics);
  tenants.set_test_scheduled(options.test_scheduled);
  // Cron triggers fire in worker 0 only: once a minute in the whole server, not once per worker.
  // ATOLL_TEST_CRON_MINUTE_MS makes a "minute" that many ms (tests).
  // ... and in an isolation group's process for its tenant (isolation.h).
  if (role.index == 0 || !tenants.isolation().own().empty()) {
    const char* minute = getenv("ATOLL_TEST_CRON_MINUTE_MS");
    uint64_t minute_ms = 0;
    if (minute != nullptr && !base::ParseUnsigned(std::string_view(minute), &minute_ms)) minute_ms = 0;
    tenants.scheduled().StartCrons(minute_ms);
  }
  if (!options.from_files() && !options.script_path.empty()) {
    // One script: load it now, so that a broken one stops startup with its file and line.
    absl::Status loaded = tenants.Preload();
    if (!loaded.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(loaded.message())).Str("tenant", "default").Emit();
      return 1;
    }
  }
  for (uint32_t i = 0; i < role.listeners; ++i) {
    absl::StatusOr<std::string> bound = server.ListenOn(WorkerRole::kFirstListenFd + static_cast<int>(i));
    if (!bound.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(bound.status().message())).Emit();
      return 1;
    }
    // `listen` on port 0 (tests): other nodes reach this one at the port the system chose.
    if (i == 0 && plan->cluster.advertise.ends_with(":0")) plan->cluster.advertise = *bound;
  }

  // Durable Objects' listener for calls other processes forward, and its alarms (data_dir only).
  DurableObjectsService durable_objects(loop, &tenants, ConnectionLimitsOf(options, *plan));
  if (!plan->data_dir.empty()) {
    if (absl::Status st = durable_objects.Start(); !st.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(st.message())).Emit();
      return 1;
    }
  }

  StopSignals stop;
  WorkerLink link(loop, WorkerRole::kControlFd, [&stop] { StopOrDrain(&stop, 0); });
  link.set_isolation_handler([&tenants](std::string_view table) { tenants.SetIsolationTable(table); });
  tenants.set_on_repeated_kills([&link](const std::string& name) {
    link.Isolate(name + " process", [name](Answers answers) {
      bool ok = answers.bodies.size() == 1 && answers.bodies[0] == "ok";
      base::LogLine(ok ? base::LogLevel::kInfo : base::LogLevel::kWarn, "tenant moved after repeated limit kills")
          .Str("tenant", name)
          .Str("result", answers.bodies.empty() ? std::string_view("no answer") : std::string_view(answers.bodies[0]))
          .Emit();
    });
  });
  std::unique_ptr<AdminApi> admin;
  if (plan->admin_listen && role.admin) {
    admin = std::make_unique<AdminApi>(loop, *admin_token, &tenant_store, &tenants, &metrics, &kv_stores, &link);
    absl::StatusOr<std::string> bound = admin->ListenOn(WorkerRole::kFirstListenFd + static_cast<int>(role.listeners));
    if (!bound.ok()) {
      base::LogLine(base::LogLevel::kError, base::StrCat("admin API: ", base::ToStd(bound.status().message()))).Emit();
      return 1;
    }
  } else if (plan->admin_listen && tenants.isolation().own().empty()) {
    base::LogLine(base::LogLevel::kWarn, "server.admin_listen: the admin API starts only with a restart").Emit();
  }
  // Cluster mode: every worker's admin API writes to etcd; worker 0 syncs the node with it.
  std::unique_ptr<ClusterAdmin> cluster_admin;
  std::unique_ptr<ClusterNode> cluster_node;
  std::unique_ptr<LoadReporter> load_reporter;
  if (!plan->cluster.etcd.empty() && admin) {
    cluster_admin = std::make_unique<ClusterAdmin>(loop, plan->cluster);
    admin->set_cluster(cluster_admin.get());
    if (cluster_objects) {
      admin->set_object_info([objects = cluster_objects.get()](std::string_view path) {
        std::vector<std::string_view> parts = base::Split(path, '/');
        std::string owner = "null";
        uint64_t fence = 0;
        if (parts.size() == 3) {
          kv::ObjectRoute route = objects->Where(parts[0], parts[1], parts[2]);
          if (route.kind == kv::ObjectRoute::kHere) owner = base::StrCat("\"", objects->node_name(), "\"");
          if (route.kind == kv::ObjectRoute::kRemote) owner = base::StrCat("\"", route.node, "\"");
          fence = objects->NodeFence(parts[0], parts[1], parts[2]);
        }
        return base::StrCat("{\"node\":\"", objects->node_name(), "\",\"owner\":", owner, ",\"fence\":", fence,
                            ",\"lease_valid\":", objects->lease_valid() ? "true" : "false", "}\n");
      });
    }
    if (role.index == 0) {
      config::NodeRecord self{plan->cluster.advertise, uv_available_parallelism(), uv_get_total_memory() >> 20};
      cluster_node = std::make_unique<ClusterNode>(loop, plan->cluster, self, plan->data_dir / "cluster" / "bundles", admin.get());
      admin->set_ready_check([node = cluster_node.get()] { return node->synced(); });
      cluster_node->Start();
      load_reporter = std::make_unique<LoadReporter>(
          loop, plan->cluster, self, [api = admin.get()](auto done) { api->CollectStats(std::move(done)); },
          [node = cluster_node.get()] { return node->lease(); });
      load_reporter->Start();
    }
  }

  stop.server = &server;
  stop.tenants = &tenants;
  stop.admin = admin.get();
  stop.durable_objects = &durable_objects;
  stop.cluster_node = cluster_node.get();
  stop.cluster_admin = cluster_admin.get();
  stop.load_reporter = load_reporter.get();
  stop.cluster_forward = cluster_forward.get();
  if (cluster_forward) cluster_forward->Start();
  stop.cluster_objects = cluster_objects.get();
  if (cluster_objects) cluster_objects->Start();
  stop.link = &link;
  stop.drain_ms = plan->connection.drain_ms;
  uv_signal_init(loop, &stop.sigint);
  uv_signal_init(loop, &stop.sigterm);
  uv_timer_init(loop, &stop.drain_timer);
  stop.sigint.data = stop.sigterm.data = stop.drain_timer.data = &stop;
  auto on_signal = [](uv_signal_t* handle, int signum) { StopOrDrain(static_cast<StopSignals*>(handle->data), signum); };
  uv_signal_start(&stop.sigint, on_signal, SIGINT);
  uv_signal_start(&stop.sigterm, on_signal, SIGTERM);
  // Tests: SIGUSR2 makes the worker try what the sandbox must stop (worker_sandbox.h).
  uv_signal_t probe;
  if (SandboxProbeEnabled()) {
    uv_signal_init(loop, &probe);
    uv_signal_start(&probe, [](uv_signal_t*, int) { SandboxProbe(); }, SIGUSR2);
    uv_unref(reinterpret_cast<uv_handle_t*>(&probe));
  }
  // Started: from here on the worker can do almost nothing else (worker_sandbox.h).
  if (plan->sandbox) {
    if (absl::Status sandboxed = EnterWorkerSandbox(sandbox_paths); !sandboxed.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(sandboxed.message())).Emit();
      return 1;
    }
  }
  link.Ready();
  // Tenants loaded before their first request (prewarmer.h): a single node's process for every
  // tenant, or an isolation group's for its own (in cluster mode placement decides what is warm).
  if (plan->cluster.etcd.empty() && !(!options.from_files() && !options.script_path.empty())) {
    // prewarm_mb is the server's: the shared workers split it (each loads the same tenants first,
    // as a tenant's first request may reach any of them); an isolation group's process has its own.
    uint64_t budget_kb = uint64_t{plan->prewarm_mb} * 1024;
    if (tenants.isolation().own().empty()) budget_kb /= supervisor_internal::ResolveWorkers(plan->workers);
    tenants.StartPrewarm(budget_kb);
  }

  uv_run(loop, UV_RUN_DEFAULT);
  base::FlushBufferedLogs();
  uv_loop_close(loop);
  base::LogLine(base::LogLevel::kDebug, "worker stopped").Int("worker", role.index).Emit();
  return 0;
}

}  // namespace

int RunServe(const ServeOptions& options, const std::vector<std::string>& argv) {
  std::optional<WorkerRole> role = WorkerRole::FromEnvironment();
  if (!role) return RunSupervisor(options, argv);
  return RunWorker(options, *role);
}

int RunCheck(const ServeOptions& options) {
  absl::StatusOr<ServePlan> plan = PlanServe(options);
  if (!plan.ok()) {
    std::fprintf(stderr, "atoll check: %s\n", std::string(plan.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<isolates::IsolateBlueprint> blueprint = bindings::RuntimeBlueprint(128);
  if (!blueprint.ok()) {
    std::fprintf(stderr, "atoll check: %s\n", std::string(blueprint.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<cache::CodeCache> code_cache = MakeCodeCache(*plan);
  isolates::CpuWatchdog watchdog;
  CheckHost host;
  std::unique_ptr<isolates::TenantIsolate> isolate;
  size_t failed = 0;
  for (const TenantSpec& tenant : plan->tenants) {
    absl::Status failure;
    if (tenant.assets_config) {
      absl::StatusOr<std::shared_ptr<const assets::AssetSet>> set = assets::AssetSet::Load(*tenant.assets_config);
      failure = set.status();
      // What the server will leave out and warn about, said before it starts.
      for (const std::string& problem : set.ok() ? (*set)->rule_problems() : std::vector<std::string>()) {
        std::fprintf(stderr, "atoll check: tenant %s: warning: %s (the line is left out)\n",
                     tenant.worker.tenant_name.c_str(), problem.c_str());
      }
    }
    if (!failure.ok() || !tenant.has_worker()) {
      if (failure.ok()) continue;
      std::fprintf(stderr, "atoll check: tenant %s: assets: %s\n", tenant.worker.tenant_name.c_str(),
                   std::string(failure.message()).c_str());
      if (!options.keep_going) return 1;
      ++failed;
      continue;
    }
    if (!isolate || isolate->killed() != isolates::LimitKind::kNone) isolate = isolates::TenantIsolate::Create(*blueprint);
    absl::StatusOr<std::unique_ptr<bindings::Worker>> worker =
        bindings::Worker::Create(tenant.worker, std::move(isolate), &host, code_cache.get(), &watchdog);
    if (!worker.ok()) {
      // One line per tenant with --keep-going: a reload logs each.
      std::string message(worker.status().message());
      if (options.keep_going) std::replace(message.begin(), message.end(), '\n', ' ');
      std::fprintf(stderr, "atoll check: tenant %s: %s\n", tenant.worker.tenant_name.c_str(), message.c_str());
      if (!options.keep_going) return 1;
      ++failed;
      continue;
    }
    isolate = (*worker)->ReleaseIsolate();
  }
  std::printf("%s: %zu tenants OK", plan->source.c_str(), plan->tenants.size() - failed);
  if (failed > 0) std::printf(", %zu do not load", failed);
  std::printf("\n");
  return 0;
}

}  // namespace atl::server
