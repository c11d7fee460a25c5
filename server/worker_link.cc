#include "server/worker_link.h"

namespace atl::server {

WorkerLink::WorkerLink(uv_loop_t* loop, int fd, std::function<void()> on_supervisor_gone)
    : channel_(
          loop, fd, [this](ControlMessage message) { OnMessage(std::move(message)); },
          [this] {
            FailAll();
            if (on_supervisor_gone_) on_supervisor_gone_();
          }),
      on_supervisor_gone_(std::move(on_supervisor_gone)) {}

void WorkerLink::Ask(std::string question, std::function<void(Answers)> done) {
  Send("ask", std::move(question), std::move(done));
}

void WorkerLink::AskAll(std::string question, std::function<void(Answers)> done) {
  Send("ask_all", std::move(question), std::move(done));
}

void WorkerLink::Send(std::string_view kind, std::string question, std::function<void(Answers)> done) {
  if (!channel_.open()) return done(Answers{1, {}});
  uint64_t id = next_id_++;
  asked_[id] = std::move(done);
  channel_.Send({std::string(kind), id, std::move(question)});
}

void WorkerLink::OnMessage(ControlMessage message) {
  if (message.kind == "query") {
    uint64_t id = message.id;
    Reply reply = [this, id](std::string body) { channel_.Send({"answer", id, std::move(body)}); };
    if (!handler_) return reply("");
    return handler_(message.body, std::move(reply));
  }
  if (message.kind == "isolation") {
    if (isolation_) isolation_(message.body);
    return;
  }
  if (message.kind == "answers") {
    auto it = asked_.find(message.id);
    if (it == asked_.end()) return;
    std::function<void(Answers)> done = std::move(it->second);
    asked_.erase(it);
    std::optional<Answers> answers = DecodeAnswers(message.body);
    done(answers ? *std::move(answers) : Answers{1, {}});
  }
}

void WorkerLink::FailAll() {
  auto asked = std::move(asked_);
  asked_.clear();
  for (auto& [id, done] : asked) done(Answers{1, {}});
}

}  // namespace atl::server
