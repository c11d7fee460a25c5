#include "server/serve.h"

#include <signal.h>
#include <uv.h>

#include "base/log.h"
#include "base/strings.h"
#include "cache/code_cache.h"
#include "server/http_server.h"
#include "server/tenant_runtime.h"

namespace atl::server {
namespace {

struct StopSignals {
  uv_signal_t sigint, sigterm;
  HttpServer* server;
  TenantRuntime* runtime;
};

void OnStopSignal(uv_signal_t* handle, int signum) {
  auto* stop = static_cast<StopSignals*>(handle->data);
  base::LogLine(base::LogLevel::kInfo, "shutting down").Int("signal", signum).Emit();
  stop->server->Shutdown();
  stop->runtime->Shutdown();
  uv_close(reinterpret_cast<uv_handle_t*>(&stop->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop->sigterm), nullptr);
}

}  // namespace

int RunServe(const ServeOptions& options) {
  signal(SIGPIPE, SIG_IGN);
  if (const char* level = getenv("ATOLL_LOG_LEVEL")) base::SetMinLogLevel(base::ParseLogLevel(level));
  uv_loop_t* loop = uv_default_loop();

  cache::CodeCache code_cache;
  TenantRuntime runtime(loop);
  bindings::WorkerOptions worker_options;
  worker_options.script_path = options.script_path;
  worker_options.limits = options.tenant_limits;
  absl::Status loaded = runtime.Load(worker_options, &code_cache);
  if (!loaded.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(loaded.message())).Str("tenant", worker_options.tenant_name).Emit();
    return 1;
  }

  HttpServer server(loop, options.connection_limits, options.tenant_limits.max_request_body, &runtime);
  runtime.set_server(&server);
  for (const config::ListenAddress& address : options.listen) {
    absl::StatusOr<std::string> bound = server.Listen(address);
    if (!bound.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(bound.status().message())).Emit();
      return 1;
    }
    base::LogLine(base::LogLevel::kInfo, "listening").Str("address", *bound).Str("script", options.script_path).Emit();
  }

  StopSignals stop{{}, {}, &server, &runtime};
  uv_signal_init(loop, &stop.sigint);
  uv_signal_init(loop, &stop.sigterm);
  stop.sigint.data = stop.sigterm.data = &stop;
  uv_signal_start(&stop.sigint, OnStopSignal, SIGINT);
  uv_signal_start(&stop.sigterm, OnStopSignal, SIGTERM);

  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  base::LogLine(base::LogLevel::kInfo, "stopped").Emit();
  return 0;
}

}  // namespace atl::server
