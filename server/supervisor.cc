// The supervisor (see supervisor.h): opens the listeners, spawns the workers and restarts those
// that die (with a growing delay), routes the workers' questions to each other, shuts down.
// SIGHUP's reload is in supervisor_reload.cc.
#include "server/supervisor.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <memory>

#include "base/log.h"
#include "base/strings.h"
#include "server/durable_objects_service.h"
#include "server/supervisor_internal.h"

extern char** environ;

namespace atl::server {

std::string WorkerRole::ToEnvironment() const {
  return base::StrCat("ATOLL_WORKER=", index, ",", generation, ",", listeners, ",", admin ? 1 : 0);
}

std::optional<WorkerRole> WorkerRole::FromEnvironment() {
  const char* value = getenv("ATOLL_WORKER");
  if (value == nullptr) return std::nullopt;
  std::vector<std::string_view> parts = base::Split(value, ',');
  WorkerRole role;
  uint32_t admin = 0;
  if (parts.size() != 4 || !base::ParseUnsigned(parts[0], &role.index) ||
      !base::ParseUnsigned(parts[1], &role.generation) || !base::ParseUnsigned(parts[2], &role.listeners) ||
      !base::ParseUnsigned(parts[3], &admin)) {
    return std::nullopt;
  }
  role.admin = admin != 0;
  return role;
}
namespace supervisor_internal {

bool Supervisor::Start(const ServePlan& plan) {
  char exe[4096];
  size_t size = sizeof(exe);
  if (uv_exepath(exe, &size) != 0) {
    base::LogLine(base::LogLevel::kError, "cannot find this program's path to start workers").Emit();
    exit_code_ = 1;
    return false;
  }
  exe_.assign(exe, size);
  absl::StatusOr<std::optional<WorkerUser>> user = ResolveWorkerUser(plan.user, plan.data_dir);
  if (!user.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(user.status().message())).Emit();
    exit_code_ = 1;
    return false;
  }
  absl::StatusOr<Listening> listening = OpenListeners(plan, nullptr);
  if (!listening.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(listening.status().message())).Emit();
    return exit_code_ = 1, false;
  }
  listening_ = *std::move(listening);
  listening_.user = *user;
  listening_.scheme = plan.tls != nullptr ? "https" : "http";
  listening_.source = plan.source;
  listening_.tenants = plan.tenants.size();
  worker_count_ = ResolveWorkers(plan.workers);
  slots_.resize(worker_count_);
  PlanGroups(plan);
  for (uv_signal_t* signal : {&sigterm_, &sigint_, &sighup_}) {
    uv_signal_init(loop_, signal);
    signal->data = this;
  }
  auto on_stop = [](uv_signal_t* h, int signum) { static_cast<Supervisor*>(h->data)->Shutdown(signum); };
  uv_signal_start(&sigterm_, on_stop, SIGTERM);
  uv_signal_start(&sigint_, on_stop, SIGINT);
  uv_signal_start(&sighup_, [](uv_signal_t* h, int) { static_cast<Supervisor*>(h->data)->Reload(); }, SIGHUP);
  for (uint32_t i = 0; i < worker_count_; ++i) {
    absl::Status spawned = Spawn(i, generation_);
    if (!spawned.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(spawned.message())).Emit();
      exit_code_ = 1;
      Shutdown(SIGTERM);
      return true;  // the loop runs until the workers already started are gone
    }
  }
  for (uint32_t g = 0; g < groups_.size(); ++g) {
    if (absl::Status spawned = Spawn(kGroupBase + g, generation_); !spawned.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(spawned.message())).Emit();
      exit_code_ = 1;
      Shutdown(SIGTERM);
      return true;
    }
  }
  return true;
}

absl::Status Supervisor::Spawn(uint32_t index, uint64_t generation) {
  Group* group = GroupOf(index);
  if (index >= kGroupBase && (group == nullptr || !group->active)) return absl::OkStatus();  // moved back
  auto worker = std::make_unique<Worker>();
  worker->owner = this;
  worker->index = index;
  worker->generation = generation;
  auto* control = new uv_pipe_t;
  uv_pipe_init(loop_, control, 0);

  // An isolation group's process gets its loopback socket as its only listener, no admin API.
  size_t listeners = group != nullptr ? 1 : listening_.sockets.size();
  bool admin = group == nullptr && listening_.admin.has_value();
  std::vector<uv_stdio_container_t> stdio(WorkerRole::kFirstListenFd + listeners + (admin ? 1 : 0));
  stdio[0].flags = UV_IGNORE;
  for (int fd : {1, 2}) {
    stdio[fd].flags = UV_INHERIT_FD;
    stdio[fd].data.fd = fd;
  }
  stdio[WorkerRole::kControlFd].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[WorkerRole::kControlFd].data.stream = reinterpret_cast<uv_stream_t*>(control);
  size_t next = WorkerRole::kFirstListenFd;
  for (const ListenSocket& socket : listening_.sockets) {
    if (group != nullptr) break;
    stdio[next].flags = UV_INHERIT_FD;
    stdio[next++].data.fd = socket.fd;
  }
  if (group != nullptr) {
    stdio[next].flags = UV_INHERIT_FD;
    stdio[next].data.fd = group->socket.fd;
  } else if (listening_.admin) {
    stdio[next].flags = UV_INHERIT_FD;
    stdio[next].data.fd = listening_.admin->fd;
  }

  WorkerRole role{index, generation, static_cast<uint32_t>(listeners), admin};
  std::vector<std::string> env_strings = {role.ToEnvironment(), "ATOLL_ISOLATION=" + IsolationTable()};
  if (group != nullptr) env_strings.push_back("ATOLL_ISOLATED=" + group->name);
  // With several workers on one socket, libuv accepts one connection per wakeup, so that the
  // others get their share instead of the first awake taking a whole burst.
  if (worker_count_ > 1) env_strings.push_back("UV_TCP_SINGLE_ACCEPT=1");
  // Durable Objects: how many processes share the objects, and the secret of calls forwarded
  // between them (durable_objects_service.h).
  env_strings.push_back(DurableObjectsEnvironment(worker_count_));
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("ATOLL_WORKER=") && !entry.starts_with("UV_TCP_SINGLE_ACCEPT=") &&
        !entry.starts_with("ATOLL_DO=") && !entry.starts_with("ATOLL_ISOLATION=") && !entry.starts_with("ATOLL_ISOLATED=")) {
      env_strings.emplace_back(entry);
    }
  }
  std::vector<char*> env = CStrings(env_strings);
  std::vector<char*> args = CStrings(argv_);

  uv_process_options_t options{};
  options.file = exe_.c_str();
  options.args = args.data();
  options.env = env.data();
  options.stdio = stdio.data();
  options.stdio_count = static_cast<int>(stdio.size());
  // Its own session: a terminal's Ctrl-C reaches the supervisor only, which tells the workers.
  options.flags = UV_PROCESS_DETACHED;
  if (listening_.user) {  // root keeps the listeners; the worker runs as server.user
    options.uid = listening_.user->uid;
    options.gid = listening_.user->gid;
    options.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
  }
  options.exit_cb = [](uv_process_t* process, int64_t status, int signal) {
    auto* worker = static_cast<Worker*>(process->data);
    worker->owner->OnExit(worker, status, signal);
  };
  worker->process.data = worker.get();
  int rc = uv_spawn(loop_, &worker->process, &options);
  if (rc != 0) {
    CloseAndDelete(control);
    // The handle still has to be closed; the Worker goes with it.
    Worker* failed = worker.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&failed->process), [](uv_handle_t* h) { delete static_cast<Worker*>(h->data); });
    return absl::UnavailableError(base::StrCat("cannot start a worker process: ", uv_strerror(rc)));
  }
  worker->pid = worker->process.pid;
  worker->started_ms = uv_now(loop_);
  Worker* raw = worker.get();
  worker->channel = std::make_unique<ControlChannel>(
      control, [this, raw](ControlMessage message) { OnMessage(raw, std::move(message)); }, [] {});
  workers_.push_back(std::move(worker));
  return absl::OkStatus();
}

Supervisor::Worker* Supervisor::FindPid(int pid) {
  for (const std::unique_ptr<Worker>& worker : workers_) {
    if (worker->pid == pid) return worker.get();
  }
  return nullptr;
}

void Supervisor::OnMessage(Worker* worker, ControlMessage message) {
  if (message.kind == "ready") return OnReady(worker);
  if (message.kind == "isolate") return OnIsolate(worker, message.id, message.body);
  if (message.kind == "ask" || message.kind == "ask_all") {
    return Ask(worker, message.id, std::move(message.body), message.kind == "ask_all");
  }
  if (message.kind == "answer") {
    auto it = questions_.find(message.id);
    if (it == questions_.end() || !it->second.waiting.erase(worker->pid)) return;
    it->second.answers.bodies.push_back(std::move(message.body));
    if (it->second.waiting.empty()) Reply(message.id);
  }
}

void Supervisor::OnReady(Worker* worker) {
  worker->ready = true;
  base::LogLine(base::LogLevel::kInfo, "worker ready")
      .Int("worker", worker->index)
      .Int("generation", static_cast<int64_t>(worker->generation))
      .Int("pid", worker->pid)
      .Int("ms", static_cast<int64_t>(uv_now(loop_) - worker->started_ms))
      .Emit();
  if (worker->stopping) return;
  if (Group* group = GroupOf(worker->index)) {
    // A move through the admin API: the group serves now, so the shared workers forward to it.
    if (group->waiting.empty() || worker->generation != generation_) return;
    BroadcastIsolation();
    for (auto [pid, id] : std::exchange(group->waiting, {})) AnswerIsolate(pid, id, "ok");
    return;
  }
  if (reload_ && worker->generation == reload_->generation) {
    size_t ready = std::count_if(workers_.begin(), workers_.end(), [&](const std::unique_ptr<Worker>& w) {
      return w->generation == reload_->generation && w->ready && !w->stopping && w->index < kGroupBase;
    });
    if (ready == reload_->workers) CompleteReload();
    return;
  }
  if (started_ || worker->generation != generation_) return;
  size_t ready = std::count_if(workers_.begin(), workers_.end(), [&](const std::unique_ptr<Worker>& w) {
    return w->generation == generation_ && w->ready && w->index < kGroupBase;
  });
  if (ready < worker_count_) return;
  started_ = true;
  LogListening();
}

// Tests and scripts read the port from these lines: they come once every worker accepts (at
// start, and after a reload that changed the listeners).
void Supervisor::LogListening() const {
  for (const ListenSocket& socket : listening_.sockets) {
    base::LogLine(base::LogLevel::kInfo, "listening")
        .Str("address", socket.bound)
        .Str("scheme", listening_.scheme)
        .Str("config", listening_.source)
        .Int("tenants", static_cast<int64_t>(listening_.tenants))
        .Int("workers", worker_count_)
        .Int("pid", static_cast<int64_t>(getpid()))
        .Emit();
  }
  if (listening_.admin) base::LogLine(base::LogLevel::kInfo, "admin API listening").Str("address", listening_.admin->bound).Emit();
}

absl::StatusOr<Supervisor::Listening> Supervisor::OpenListeners(const ServePlan& plan, const Listening* current) {
  Listening next;
  std::vector<int> opened;  // closed again if a later one fails
  auto take = [&](const config::ListenAddress& address, std::string_view what) -> absl::StatusOr<ListenSocket> {
    std::string key = address.ToString();
    if (current != nullptr) {
      for (size_t i = 0; i < current->sockets.size(); ++i) {
        if (current->addresses[i] == key) return current->sockets[i];
      }
      if (current->admin && current->admin_address == key) return *current->admin;
    }
    absl::StatusOr<ListenSocket> socket = OpenListenSocket(address);
    if (!socket.ok()) return absl::Status(socket.status().code(), base::StrCat(what, socket.status().message()));
    opened.push_back(socket->fd);
    return socket;
  };
  auto fail = [&](const absl::Status& status) {
    for (int fd : opened) close(fd);
    return status;
  };
  for (const config::ListenAddress& address : plan.listen) {
    absl::StatusOr<ListenSocket> socket = take(address, "");
    if (!socket.ok()) return fail(socket.status());
    next.sockets.push_back(*socket);
    next.addresses.push_back(address.ToString());
  }
  if (plan.admin_listen) {
    absl::StatusOr<ListenSocket> socket = take(*plan.admin_listen, "admin API: ");
    if (!socket.ok()) return fail(socket.status());
    next.admin = *socket;
    next.admin_address = plan.admin_listen->ToString();
  }
  next.key = ListenKey(plan);
  if (current != nullptr) next.user = current->user;  // the scheme is the caller's to set
  next.source = plan.source;
  next.tenants = plan.tenants.size();
  return next;
}

void Supervisor::CloseListenersNotIn(const Listening& from, const Listening& to) {
  auto held = [&](int fd) {
    for (const ListenSocket& socket : to.sockets) {
      if (socket.fd == fd) return true;
    }
    return to.admin && to.admin->fd == fd;
  };
  for (const ListenSocket& socket : from.sockets) {
    if (!held(socket.fd)) close(socket.fd);
  }
  if (from.admin && !held(from.admin->fd)) close(from.admin->fd);
}

void Supervisor::OnExit(Worker* worker, int64_t status, int signal) {
  bool expected = worker->stopping || stopping_;
  if (signal == SIGSYS) {
    // The seccomp filter killed it (worker_sandbox.h): a forbidden system call, which only code
    // that escaped V8 (or a bug of ours) makes.
    base::LogLine(base::LogLevel::kError, "sandbox: a worker made a forbidden system call and was killed")
        .Int("worker", worker->index)
        .Int("pid", worker->pid)
        .Emit();
  }
  base::LogLine(expected ? base::LogLevel::kInfo : base::LogLevel::kWarn, "worker exited")
      .Int("worker", worker->index)
      .Int("generation", static_cast<int64_t>(worker->generation))
      .Int("pid", worker->pid)
      .Int("status", status)
      .Int("signal", signal)
      .Emit();
  uint64_t lived_ms = uv_now(loop_) - worker->started_ms;
  std::vector<uint64_t> answered;
  for (auto& [id, question] : questions_) {
    if (question.waiting.erase(worker->pid) && question.waiting.empty()) answered.push_back(id);
  }
  // The process is reaped; the channel and the handle go, then the Worker.
  worker->channel.reset();
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) { return w.get() == worker; });
  Worker* gone = it->release();
  workers_.erase(it);
  uv_close(reinterpret_cast<uv_handle_t*>(&gone->process), [](uv_handle_t* h) { delete static_cast<Worker*>(h->data); });
  for (uint64_t id : answered) Reply(id);

  if (stopping_) {
    if (workers_.empty()) Finish();
    return;
  }
  if (gone->stopping) return;
  if (!started_) {
    base::LogLine(base::LogLevel::kError, "a worker failed to start; stopping").Emit();
    exit_code_ = status != 0 ? static_cast<int>(status) : 1;
    return Shutdown(SIGTERM);
  }
  if (reload_ && gone->generation == reload_->generation) return FailReload("a worker of the new generation exited");
  if (gone->generation == generation_) ScheduleRestart(gone->index, lived_ms);
}

void Supervisor::ScheduleRestart(uint32_t index, uint64_t lived_ms) {
  Group* group = GroupOf(index);
  if (group != nullptr && !group->active) return;
  if (group == nullptr && index >= slots_.size()) return;
  Slot& slot = group != nullptr ? group->slot : slots_[index];
  slot.quick_deaths = lived_ms < kLimits.quick_death_ms ? slot.quick_deaths + 1 : 1;
  uint64_t delay_ms = slot.quick_deaths <= 1 ? 0 : std::min<uint64_t>(kLimits.max_restart_delay_ms, uint64_t{kLimits.first_restart_delay_ms} << std::min(slot.quick_deaths - 2, 10u));
  base::LogLine(base::LogLevel::kInfo, "worker restarting").Int("worker", index).Int("delay_ms", static_cast<int64_t>(delay_ms)).Emit();
  if (slot.timer == nullptr) {
    slot.timer = new uv_timer_t;
    uv_timer_init(loop_, slot.timer);
    slot.timer->data = reinterpret_cast<void*>(static_cast<uintptr_t>(index));
  }
  uv_timer_start(
      slot.timer,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Supervisor*>(timer->loop->data);
        auto index = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(timer->data));
        absl::Status spawned = self->Spawn(index, self->generation_);
        if (!spawned.ok()) {
          base::LogLine(base::LogLevel::kError, base::ToStd(spawned.message())).Emit();
          self->ScheduleRestart(index, 0);
        }
      },
      delay_ms, 0);
}

// A question for every worker (a deploy, a delete) goes to each process that runs and is not
// told to stop, ready or not, of the serving generation or of the one a reload starts: a worker
// reads the tenant store after it was spawned, so a change committed before the question missed
// no worker, and a starting one reads the question once it runs (it waits on its channel).
// Other questions (metrics, stats, ping) go to the serving generation's ready workers.
void Supervisor::Ask(Worker* asker, uint64_t id, std::string question, bool all) {
  uint64_t question_id = next_question_++;
  Question& q = questions_[question_id];
  q.asker_pid = asker->pid;
  q.asker_id = id;
  q.all = all;
  q.answers.workers = all ? 1 : worker_count_ + ActiveGroups();
  for (const std::unique_ptr<Worker>& worker : workers_) {
    if (worker.get() == asker || worker->stopping || !worker->channel) continue;
    if (!all && (worker->generation != generation_ || !worker->ready)) continue;
    worker->channel->Send({"query", question_id, question});
    q.waiting.insert(worker->pid);
    if (all) ++q.answers.workers;
  }
  q.timer = new uv_timer_t;
  uv_timer_init(loop_, q.timer);
  q.timer->data = reinterpret_cast<void*>(static_cast<uintptr_t>(question_id));
  if (q.waiting.empty()) return Reply(question_id);
  uv_timer_start(
      q.timer,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Supervisor*>(timer->loop->data);
        self->Reply(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(timer->data)));
      },
      all ? kLimits.all_answer_timeout_ms : kLimits.answer_timeout_ms, 0);
}

void Supervisor::Reply(uint64_t question_id) {
  auto it = questions_.find(question_id);
  if (it == questions_.end()) return;
  Question question = std::move(it->second);
  questions_.erase(it);
  CloseAndDelete(question.timer);
  if (Worker* asker = FindPid(question.asker_pid); asker != nullptr && asker->channel) {
    asker->channel->Send({"answers", question.asker_id, EncodeAnswers(question.answers)});
  }
}

void Supervisor::StopWorker(Worker* worker) {
  worker->stopping = true;
  uv_process_kill(&worker->process, SIGTERM);
  // A worker on its way out no longer counts for a change every worker must take.
  std::vector<uint64_t> answered;
  for (auto& [id, question] : questions_) {
    if (question.all && question.waiting.erase(worker->pid) && question.waiting.empty()) answered.push_back(id);
  }
  for (uint64_t id : answered) Reply(id);
}

void Supervisor::Shutdown(int signal) {
  if (stopping_) {
    base::LogLine(base::LogLevel::kInfo, "stopping the workers now").Int("signal", signal).Emit();
  } else {
    base::LogLine(base::LogLevel::kInfo, "shutting down").Int("signal", signal).Int("workers", static_cast<int64_t>(LiveWorkers())).Emit();
  }
  stopping_ = true;
  for (Slot& slot : slots_) {
    if (slot.timer != nullptr) uv_timer_stop(slot.timer);
  }
  for (Group& group : groups_) {
    if (group.slot.timer != nullptr) uv_timer_stop(group.slot.timer);
  }
  if (reload_) FailReload("shutting down");
  // A second signal is forwarded too: a draining worker then stops at once.
  for (const std::unique_ptr<Worker>& worker : workers_) StopWorker(worker.get());
  if (workers_.empty()) Finish();
}

void Supervisor::Finish() {
  for (uv_signal_t* signal : {&sigterm_, &sigint_, &sighup_}) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(signal))) uv_close(reinterpret_cast<uv_handle_t*>(signal), nullptr);
  }
  for (Slot& slot : slots_) {
    if (slot.timer != nullptr) CloseAndDelete(slot.timer);
    slot.timer = nullptr;
  }
  for (Group& group : groups_) {
    if (group.slot.timer != nullptr) CloseAndDelete(group.slot.timer);
    group.slot.timer = nullptr;
    if (group.socket.fd >= 0) close(group.socket.fd);
    group.socket.fd = -1;
  }
  for (auto& [id, question] : questions_) CloseAndDelete(question.timer);
  questions_.clear();
  for (ListenSocket& socket : listening_.sockets) close(socket.fd);
  listening_.sockets.clear();
  if (listening_.admin) close(listening_.admin->fd);
  listening_.admin.reset();
}

}  // namespace supervisor_internal

using supervisor_internal::Supervisor;

int RunSupervisor(const ServeOptions& options, const std::vector<std::string>& argv) {
  signal(SIGPIPE, SIG_IGN);
  if (const char* level = getenv("ATOLL_LOG_LEVEL")) base::SetMinLogLevel(base::ParseLogLevel(level));
  uv_loop_t* loop = uv_default_loop();
  Supervisor supervisor(loop, options, argv);
  loop->data = &supervisor;
  {
    absl::StatusOr<ServePlan> plan = PlanServe(options);
    if (!plan.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(plan.status().message())).Emit();
      return 1;
    }
    if (absl::StatusOr<std::string> token = AdminToken(*plan); !token.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(token.status().message())).Emit();
      return 1;
    }
    if (!supervisor.Start(*plan)) return supervisor.exit_code();
  }
  // The tenants' specs are the workers' business: what parsing them took goes back to the system.
  malloc_trim(0);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  base::LogLine(base::LogLevel::kInfo, "stopped").Emit();
  return supervisor.exit_code();
}

}  // namespace atl::server
