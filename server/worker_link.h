#pragma once
// A worker process's side of its control channel to the supervisor (supervisor.h): it says when
// the worker accepts, answers the other workers' questions, and asks them its own (the admin API
// sums metrics and stats over every worker, and tells them of a deploy).
//
//   WorkerLink link(loop, WorkerRole::kControlFd, [] { /* supervisor gone: drain */ });
//   link.set_query_handler([](std::string_view question, WorkerLink::Reply reply) { reply("ok"); });
//   link.Ready();
//   link.Ask("metrics", [](Answers answers) { ... });

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "server/control_channel.h"

namespace atl::server {

class WorkerLink {
 public:
  using Reply = std::function<void(std::string body)>;
  using QueryHandler = std::function<void(std::string_view question, Reply reply)>;

  WorkerLink(uv_loop_t* loop, int fd, std::function<void()> on_supervisor_gone);

  // Tells the supervisor this worker accepts on its listeners.
  void Ready() { channel_.Send({"ready", 0, ""}); }
  // Who answers the other workers' questions (unset: each gets an empty answer).
  void set_query_handler(QueryHandler handler) { handler_ = std::move(handler); }
  // Asks every other serving worker `question`; `done` gets the answers of those that answered
  // within the supervisor's timeout (with no supervisor: none, and `workers` 1).
  void Ask(std::string question, std::function<void(Answers)> done);
  // Like Ask, but every live worker is asked, starting ones and those of a generation being
  // started by a reload included; the supervisor waits longer for them (a deploy's answer).
  void AskAll(std::string question, std::function<void(Answers)> done);
  // Asks the supervisor to move tenant NAME: "NAME process" or "NAME shared" (isolation.h); the
  // one answer is "ok" once the move is done, or why not.
  void Isolate(std::string request, std::function<void(Answers)> done) { Send("isolate", std::move(request), std::move(done)); }
  void Close() { channel_.Close(); }
  // The supervisor's "isolation" message: the isolation groups' table changed (isolation.h).
  void set_isolation_handler(std::function<void(std::string_view table)> handler) { isolation_ = std::move(handler); }

 private:
  void Send(std::string_view kind, std::string question, std::function<void(Answers)> done);
  void OnMessage(ControlMessage message);
  void FailAll();

  ControlChannel channel_;
  std::function<void()> on_supervisor_gone_;
  QueryHandler handler_;
  std::function<void(std::string_view)> isolation_;
  absl::flat_hash_map<uint64_t, std::function<void(Answers)>> asked_;
  uint64_t next_id_ = 1;
};

}  // namespace atl::server
