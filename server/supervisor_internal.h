#pragma once
// The supervisor's class, shared by its two files: supervisor.cc (listeners, spawning workers,
// restarting them with a growing delay, routing the workers' questions, shutdown) and
// supervisor_reload.cc (SIGHUP: `atoll check --keep-going`, the new generation, draining the
// old). Only they include it; the rest of the server knows RunSupervisor (supervisor.h).

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "isolates/limits.h"
#include "server/cli.h"
#include "server/control_channel.h"
#include "server/listen_socket.h"
#include "server/serve_plan.h"
#include "server/worker_user.h"

namespace atl::server::supervisor_internal {

inline constexpr isolates::SupervisorLimits kLimits;

inline uint32_t ResolveWorkers(uint32_t configured) {
  return configured != 0 ? configured : std::max(1u, static_cast<uint32_t>(uv_available_parallelism()));
}

// The addresses `plan` listens on, as configured (a reload cannot change them).
inline std::string ListenKey(const ServePlan& plan) {
  std::string key;
  for (const config::ListenAddress& address : plan.listen) key += address.ToString() + " ";
  if (plan.admin_listen) key += "admin " + plan.admin_listen->ToString();
  return key;
}

// A null-terminated array of pointers into `strings` (argv, envp), valid while they are.
inline std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& text : strings) out.push_back(text.data());
  out.push_back(nullptr);
  return out;
}

template <typename Handle>
void CloseAndDelete(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
}

// Runs the worker processes of `atoll serve` on the supervisor's loop (see supervisor.h).
class Supervisor {
 public:
  Supervisor(uv_loop_t* loop, ServeOptions options, std::vector<std::string> argv)
      : loop_(loop), options_(std::move(options)), argv_(std::move(argv)) {}

  // Opens the listeners and starts the first generation; false (and exit_code()) on failure.
  bool Start(const ServePlan& plan);
  int exit_code() const { return exit_code_; }

 private:
  // One worker process, from uv_spawn until its handle is closed after it exited.
  struct Worker {
    Supervisor* owner;
    uint32_t index;
    uint64_t generation;
    uv_process_t process;
    std::unique_ptr<ControlChannel> channel;
    int pid = 0;
    uint64_t started_ms = 0;
    bool ready = false;
    bool stopping = false;  // told to stop: shut down, replaced by a reload, or a failed reload's
  };
  // Restart bookkeeping of worker index i of the serving generation.
  struct Slot {
    uint32_t quick_deaths = 0;
    uv_timer_t* timer = nullptr;  // a restart waiting out its delay
  };
  // An isolation group (isolation.h): the workers of one `isolation = "process"` tenant, on a
  // loopback socket opened here that outlives their restarts (connections wait in its backlog).
  static constexpr uint32_t kGroupBase = 1u << 20;  // worker index of group g: kGroupBase + g
  struct Group {
    std::string name;
    ListenSocket socket;
    uint16_t port = 0;
    bool active = true;  // false: moved back to the shared workers (its index stays unused)
    Slot slot;
    // A move there through the admin API, answered once the group's worker is ready.
    std::vector<std::pair<int, uint64_t>> waiting;  // asker pid, question id
  };
  // A worker's question on its way to the others.
  struct Question {
    int asker_pid;
    uint64_t asker_id;
    bool all;  // "ask_all": every live worker, starting ones and a reload's new generation too
    Answers answers;
    absl::flat_hash_set<int> waiting;  // pids
    uv_timer_t* timer;
  };

  absl::Status Spawn(uint32_t index, uint64_t generation);
  void OnMessage(Worker* worker, ControlMessage message);
  void OnReady(Worker* worker);
  void OnExit(Worker* worker, int64_t status, int signal);
  void ScheduleRestart(uint32_t index, uint64_t lived_ms);
  void Ask(Worker* asker, uint64_t id, std::string question, bool all);
  void Reply(uint64_t question_id);
  void StopWorker(Worker* worker);
  void Shutdown(int signal);
  void Finish();
  void Reload();
  void StartGeneration();
  void CompleteReload();
  void FailReload(std::string_view why);
  void RunCheck();
  Worker* FindPid(int pid);
  // Isolation groups (supervisor_isolation.cc).
  absl::Status AddGroup(const std::string& name);
  void RetireGroup(Group& group);
  Group* FindGroup(std::string_view name);
  Group* GroupOf(uint32_t index) { return index >= kGroupBase && index - kGroupBase < groups_.size() ? &groups_[index - kGroupBase] : nullptr; }
  uint32_t ActiveGroups() const;
  std::string IsolationTable() const;
  void BroadcastIsolation();
  // "NAME process|shared" from a worker (the admin API): answered "ok" or why not.
  void OnIsolate(Worker* asker, uint64_t id, std::string_view body);
  void AnswerIsolate(int pid, uint64_t id, std::string body);
  // The groups `plan` wants (its process tenants and the admin API's moves), before a generation.
  void PlanGroups(const ServePlan& plan);
  size_t LiveWorkers() const { return workers_.size(); }

  // 18 members, the listeners and a reload already grouped: the rest is the process table
  // (workers, slots, generations) and its signal handles, which every method here walks together.
  uv_loop_t* loop_;
  ServeOptions options_;
  std::vector<std::string> argv_;
  std::string exe_;
  // The sockets every worker inherits, and what the "listening" lines say about them.
  struct Listening {
    std::vector<ListenSocket> sockets;
    std::vector<std::string> addresses;  // the configured address of each socket ("127.0.0.1:0")
    std::optional<ListenSocket> admin;
    std::string admin_address;
    std::string key;  // the listen and admin_listen addresses the sockets were opened for
    std::string scheme, source;
    size_t tenants = 0;
    std::optional<WorkerUser> user;  // [server] user: whom every worker runs as (set at start)
  };
  Listening listening_;
  uint32_t worker_count_ = 1;
  uint64_t generation_ = 1;  // the generation that serves (or is starting, before started_)
  bool started_ = false;     // the first generation was ready once
  bool stopping_ = false;
  int exit_code_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // every process not yet reaped
  std::vector<Slot> slots_;
  std::vector<Group> groups_;
  absl::flat_hash_map<std::string, bool> moved_;  // the admin API's moves: tenant -> process
  absl::flat_hash_map<uint64_t, Question> questions_;
  uint64_t next_question_ = 1;
  uv_signal_t sigterm_, sigint_, sighup_;  // stop, stop, reload
  // A reload in progress: its generation and size, the check's process and output, a deadline.
  struct Reloading {
    uint64_t generation = 0;
    uint32_t workers = 0;
    uv_process_t* check = nullptr;
    uv_pipe_t* check_output = nullptr;
    std::string output;
    size_t logged = 0;  // output up to here was logged line by line
    uv_timer_t* deadline = nullptr;
    // The listen or admin_listen addresses changed: the listeners before the reload, while the new
    // generation starts on the new ones (listening_); kept open until it completes or fails.
    std::optional<Listening> previous;
  };
  std::optional<Reloading> reload_;
  // Opens the listeners `plan` names, taking from `current` the open socket of every address it
  // still names; the error names the address that could not be opened (nothing is kept open).
  absl::StatusOr<Listening> OpenListeners(const ServePlan& plan, const Listening* current);
  // Closes the sockets of `from` that `to` does not hold.
  static void CloseListenersNotIn(const Listening& from, const Listening& to);
  void LogListening() const;
};

}  // namespace atl::server::supervisor_internal
