// Isolation groups in the supervisor (isolation.h, README "Isolation groups"): one loopback
// socket and one worker process per `isolation = "process"` tenant, the table every worker gets
// (ATOLL_ISOLATION at spawn, the "isolation" message when it changes), and the admin API's
// moves between the shared workers and a group.
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "base/log.h"
#include "base/strings.h"
#include "server/isolation.h"
#include "server/supervisor_internal.h"
#include "server/tenant_store.h"

namespace atl::server::supervisor_internal {
namespace {
constexpr uint64_t kRetireDelayMs = 1000;  // a group moved back stops this long after the table changed
}  // namespace

Supervisor::Group* Supervisor::FindGroup(std::string_view name) {
  for (Group& group : groups_) {
    if (group.active && group.name == name) return &group;
  }
  return nullptr;
}

uint32_t Supervisor::ActiveGroups() const {
  uint32_t n = 0;
  for (const Group& group : groups_) n += group.active ? 1 : 0;
  return n;
}

std::string Supervisor::IsolationTable() const {
  std::map<std::string, uint16_t, std::less<>> table;
  for (const Group& group : groups_) {
    if (group.active) table[group.name] = group.port;
  }
  return FormatIsolationTable(table);
}

absl::Status Supervisor::AddGroup(const std::string& name) {
  if (FindGroup(name) != nullptr) return absl::OkStatus();
  absl::StatusOr<ListenSocket> socket = OpenListenSocket(config::ListenAddress{"127.0.0.1", 0});
  if (!socket.ok()) return socket.status();
  Group group;
  group.name = name;
  group.socket = *socket;
  uint64_t port = 0;
  base::ParseUnsigned(std::string_view(socket->bound).substr(socket->bound.rfind(':') + 1), &port);
  group.port = static_cast<uint16_t>(port);
  groups_.push_back(std::move(group));
  base::LogLine(base::LogLevel::kInfo, "isolation group").Str("tenant", name).Str("address", socket->bound).Emit();
  return absl::OkStatus();
}

// Moved back to the shared workers: they were told first; the group's process drains what it
// was forwarded meanwhile (a second later, so that no shared worker forwards to it any more).
void Supervisor::RetireGroup(Group& group) {
  group.active = false;
  if (group.slot.timer != nullptr) uv_timer_stop(group.slot.timer);
  uint32_t index = kGroupBase + static_cast<uint32_t>(&group - groups_.data());
  auto* timer = new uv_timer_t;
  uv_timer_init(loop_, timer);
  timer->data = reinterpret_cast<void*>(static_cast<uintptr_t>(index));
  uv_timer_start(
      timer,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Supervisor*>(timer->loop->data);
        auto index = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(timer->data));
        CloseAndDelete(timer);
        for (const std::unique_ptr<Worker>& worker : self->workers_) {
          if (worker->index == index && !worker->stopping) self->StopWorker(worker.get());
        }
        Group* group = self->GroupOf(index);
        if (group != nullptr && !group->active && group->socket.fd >= 0) {
          close(group->socket.fd);
          group->socket.fd = -1;
        }
      },
      kRetireDelayMs, 0);
}

void Supervisor::BroadcastIsolation() {
  std::string table = IsolationTable();
  for (const std::unique_ptr<Worker>& worker : workers_) {
    if (worker->channel && !worker->stopping) worker->channel->Send({"isolation", 0, table});
  }
  base::LogLine(base::LogLevel::kInfo, "isolation groups changed").Str("table", table).Emit();
}

void Supervisor::AnswerIsolate(int pid, uint64_t id, std::string body) {
  Worker* asker = FindPid(pid);
  if (asker == nullptr || !asker->channel) return;
  Answers answers;
  answers.workers = 1;
  answers.bodies.push_back(std::move(body));
  asker->channel->Send({"answers", id, EncodeAnswers(answers)});
}

void Supervisor::OnIsolate(Worker* asker, uint64_t id, std::string_view body) {
  size_t space = body.find(' ');
  std::string name(body.substr(0, space));
  std::string_view mode = space == std::string_view::npos ? std::string_view() : body.substr(space + 1);
  if (name.empty() || (mode != "process" && mode != "shared")) return AnswerIsolate(asker->pid, id, "bad request");
  if (stopping_) return AnswerIsolate(asker->pid, id, "shutting down");
  moved_[name] = mode == "process";
  Group* group = FindGroup(name);
  if (mode == "shared") {
    if (group != nullptr) {
      RetireGroup(*group);
      BroadcastIsolation();
    }
    return AnswerIsolate(asker->pid, id, "ok");
  }
  if (group != nullptr && group->waiting.empty()) return AnswerIsolate(asker->pid, id, "ok");
  if (group == nullptr) {
    if (absl::Status added = AddGroup(name); !added.ok()) return AnswerIsolate(asker->pid, id, std::string(base::ToStd(added.message())));
    group = &groups_.back();
    group->waiting.emplace_back(asker->pid, id);
    uint32_t index = kGroupBase + static_cast<uint32_t>(groups_.size() - 1);
    if (absl::Status spawned = Spawn(index, generation_); !spawned.ok()) {
      group->waiting.clear();
      group->active = false;
      return AnswerIsolate(asker->pid, id, std::string(base::ToStd(spawned.message())));
    }
    return;
  }
  group->waiting.emplace_back(asker->pid, id);
}

void Supervisor::PlanGroups(const ServePlan& plan) {
  // The config file's tenants, then those deployed through the admin API (which win, as in the
  // workers: serve.cc).
  absl::flat_hash_map<std::string, bool> wanted;
  for (const TenantSpec& tenant : plan.tenants) wanted[tenant.worker.tenant_name] = tenant.process_isolation;
  if (!plan.data_dir.empty()) {
    TenantStore store(plan.data_dir / "tenants", plan.admin_token_env);
    TenantStore::Lock lock = store.Exclusive();
    if (absl::StatusOr<TenantStore::Loaded> deployed = store.Load(); deployed.ok()) {
      for (const std::string& name : deployed->deleted) wanted.erase(name);
      for (const config::TenantConfig& tenant : deployed->tenants) wanted[tenant.name] = tenant.settings.process_isolation;
    }
  }
  for (const auto& [name, isolated] : wanted) {
    auto moved = moved_.find(name);
    bool process = moved != moved_.end() ? moved->second : isolated;
    if (!process) continue;
    if (absl::Status added = AddGroup(name); !added.ok()) {
      base::LogLine(base::LogLevel::kError, base::StrCat("isolation group: ", base::ToStd(added.message()))).Str("tenant", name).Emit();
    }
  }
  for (const auto& [name, process] : moved_) {
    if (process && FindGroup(name) == nullptr) (void)AddGroup(name);
  }
}

}  // namespace atl::server::supervisor_internal
