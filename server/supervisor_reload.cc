// SIGHUP in the supervisor: read the config again, check it with `atoll check --keep-going` in a
// child process (logging each tenant that does not load), start the new generation of workers,
// and once all of them are ready tell the old ones to drain; or give up and keep the old ones.
#include <signal.h>
#include <uv.h>

#include <string>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "server/supervisor_internal.h"

namespace atl::server::supervisor_internal {

void Supervisor::Reload() {
  if (stopping_ || !started_) return;
  if (reload_) {
    base::LogLine(base::LogLevel::kWarn, "reload ignored: one is in progress").Emit();
    return;
  }
  absl::StatusOr<ServePlan> plan = PlanServe(options_);
  if (!plan.ok()) {
    base::LogLine(base::LogLevel::kError, "reload refused: the current configuration keeps serving")
        .Str("error", base::ToStd(plan.status().message()))
        .Emit();
    return;
  }
  std::optional<Listening> previous;
  if (ListenKey(*plan) != listening_.key) {
    // New addresses are opened now (an address kept keeps its socket); the new generation
    // accepts on them, the old one on the old ones until it drains.
    absl::StatusOr<Listening> next = OpenListeners(*plan, &listening_);
    if (!next.ok()) {
      base::LogLine(base::LogLevel::kError, "reload refused: the current configuration keeps serving")
          .Str("error", base::ToStd(next.status().message()))
          .Emit();
      return;
    }
    next->scheme = plan->tls != nullptr ? "https" : "http";
    previous = std::move(listening_);
    listening_ = *std::move(next);
  }
  PlanGroups(*plan);  // before the new generation: its workers' table names every group
  reload_.emplace();
  reload_->previous = std::move(previous);
  reload_->generation = generation_ + 1;
  reload_->workers = ResolveWorkers(plan->workers);
  base::LogLine(base::LogLevel::kInfo, "reloading")
      .Int("generation", static_cast<int64_t>(reload_->generation))
      .Int("workers", reload_->workers)
      .Emit();
  reload_->deadline = new uv_timer_t;
  uv_timer_init(loop_, reload_->deadline);
  uv_timer_start(
      reload_->deadline,
      [](uv_timer_t* timer) { static_cast<Supervisor*>(timer->loop->data)->FailReload("the new workers were not ready in time"); },
      kLimits.reload_timeout_ms, 0);
  if (!options_.from_files()) return StartGeneration();  // a broken script stops its worker
  RunCheck();
}

// `atoll check --keep-going` in a child process: the config is valid, or the reload stops. A
// tenant whose script does not load (a syntax error, a top level that throws) does not stop
// the others' reload: it is logged, and answers 500 script_error in the new generation, as it
// would at start-up.
void Supervisor::RunCheck() {
  std::vector<std::string> argv = {exe_, "check", "--keep-going"};
  if (options_.wrangler_paths.empty()) {
    argv.push_back("--config");
    argv.push_back(options_.config_path);
  }
  for (const std::string& path : options_.wrangler_paths) {
    argv.push_back("--wrangler");
    argv.push_back(path);
  }
  if (!options_.data_dir.empty()) {
    argv.push_back("--data-dir");
    argv.push_back(options_.data_dir);
  }
  std::vector<char*> args = CStrings(argv);
  reload_->check_output = new uv_pipe_t;
  uv_pipe_init(loop_, reload_->check_output, 0);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_IGNORE;  // "N tenants OK"; errors go to stderr
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(reload_->check_output);
  uv_process_options_t options{};
  options.file = exe_.c_str();
  options.args = args.data();
  options.stdio = stdio;
  options.stdio_count = 3;
  options.exit_cb = [](uv_process_t* process, int64_t status, int) {
    auto* self = static_cast<Supervisor*>(process->loop->data);
    CloseAndDelete(process);
    if (!self->reload_ || self->reload_->check != process) return;
    self->reload_->check = nullptr;
    if (status == 0) return self->StartGeneration();
    std::string output = self->reload_->output;
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    self->FailReload(output.empty() ? "atoll check failed" : output);
  };
  reload_->check = new uv_process_t;
  int rc = uv_spawn(loop_, reload_->check, &options);
  if (rc != 0) {
    CloseAndDelete(reload_->check);
    reload_->check = nullptr;
    return FailReload(base::StrCat("cannot run atoll check: ", uv_strerror(rc)));
  }
  reload_->check_output->data = this;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(reload_->check_output),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char buffer[16 << 10];
        *buf = uv_buf_init(buffer, sizeof(buffer));
      },
      [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
        auto* self = static_cast<Supervisor*>(stream->data);
        if (n <= 0 || !self->reload_ || self->reload_->output.size() >= kLimits.max_reload_output) return;
        Reloading& reload = *self->reload_;
        reload.output.append(buf->base, n);
        // Each tenant that does not load, as its line arrives.
        constexpr std::string_view kTenant = "atoll check: tenant ";
        size_t end;
        while ((end = reload.output.find('\n', reload.logged)) != std::string::npos) {
          std::string_view line(reload.output.data() + reload.logged, end - reload.logged);
          reload.logged = end + 1;
          if (!line.starts_with(kTenant)) continue;
          line.remove_prefix(kTenant.size());
          size_t colon = line.find(": ");
          base::LogLine(base::LogLevel::kError, "reload: a tenant does not load; it answers 500 until fixed")
              .Str("tenant", line.substr(0, colon))
              .Str("error", colon == std::string_view::npos ? std::string_view() : line.substr(colon + 2))
              .Emit();
        }
      });
}

void Supervisor::StartGeneration() {
  for (uint32_t i = 0; i < reload_->workers; ++i) {
    absl::Status spawned = Spawn(i, reload_->generation);
    if (!spawned.ok()) return FailReload(base::ToStd(spawned.message()));
  }
  for (uint32_t g = 0; g < groups_.size(); ++g) {
    absl::Status spawned = Spawn(kGroupBase + g, reload_->generation);
    if (!spawned.ok()) return FailReload(base::ToStd(spawned.message()));
  }
}

void Supervisor::CompleteReload() {
  uint64_t old_generation = generation_;
  generation_ = reload_->generation;
  worker_count_ = reload_->workers;
  for (Slot& slot : slots_) {
    if (slot.timer != nullptr) {
      uv_timer_stop(slot.timer);
      CloseAndDelete(slot.timer);
    }
  }
  slots_.assign(worker_count_, Slot{});
  for (const std::unique_ptr<Worker>& worker : workers_) {
    if (worker->generation < generation_ && !worker->stopping) StopWorker(worker.get());
  }
  if (reload_->deadline != nullptr) CloseAndDelete(reload_->deadline);
  if (reload_->check_output != nullptr) CloseAndDelete(reload_->check_output);
  // Addresses no longer listed: the supervisor's sockets close now, the old workers' once they
  // drained (they stop accepting first).
  bool relistened = reload_->previous.has_value();
  if (relistened) CloseListenersNotIn(*reload_->previous, listening_);
  reload_.reset();
  if (relistened) LogListening();
  base::LogLine(base::LogLevel::kInfo, "reloaded")
      .Int("generation", static_cast<int64_t>(generation_))
      .Int("replaced_generation", static_cast<int64_t>(old_generation))
      .Int("workers", worker_count_)
      .Emit();
}

void Supervisor::FailReload(std::string_view why) {
  if (!reload_) return;
  base::LogLine(stopping_ ? base::LogLevel::kInfo : base::LogLevel::kError, "reload failed: the current workers keep serving")
      .Str("error", why)
      .Emit();
  for (const std::unique_ptr<Worker>& worker : workers_) {
    if (worker->generation == reload_->generation && !worker->stopping) StopWorker(worker.get());
  }
  if (reload_->check != nullptr) uv_process_kill(reload_->check, SIGKILL);
  if (reload_->deadline != nullptr) CloseAndDelete(reload_->deadline);
  if (reload_->check_output != nullptr) CloseAndDelete(reload_->check_output);
  if (reload_->previous) {
    // Back to the listeners the serving generation has; the ones opened for this reload close.
    CloseListenersNotIn(listening_, *reload_->previous);
    listening_ = *std::move(reload_->previous);
  }
  reload_.reset();
}

}  // namespace atl::server::supervisor_internal
