#include "server/scheduled_events.h"

#include <chrono>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "server/tenant_manager.h"

namespace atl::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ScheduledEvents::CronOfQuery(std::string_view url) {
  std::string cron;
  size_t q = url.find('?');
  if (q == std::string_view::npos) return cron;
  for (std::string_view pair : base::Split(url.substr(q + 1), '&')) {
    if (pair.substr(0, 5) != "cron=") continue;
    std::string_view value = pair.substr(5);
    cron.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '+') {
        cron.push_back(' ');
      } else if (value[i] == '%' && i + 2 < value.size() && HexValue(value[i + 1]) >= 0 && HexValue(value[i + 2]) >= 0) {
        cron.push_back(static_cast<char>(HexValue(value[i + 1]) * 16 + HexValue(value[i + 2])));
        i += 2;
      } else {
        cron.push_back(value[i]);
      }
    }
  }
  return cron;
}

// The sink of one event: counts and logs its outcome, and passes the answer on to a client's
// request (/__scheduled) or to a Done callback.
class ScheduledEvents::EventSink : public ResponseSink {
 public:
  EventSink(ScheduledEvents* owner, uint32_t tenant, uint64_t id, std::string cron, ResponseSink* forward, Done done)
      : owner_(owner), tenant_(tenant), id_(id), cron_(std::move(cron)), forward_(forward), done_(std::move(done)),
        start_(std::chrono::steady_clock::now()) {}

  void Respond(const bindings::ResponseView& response) override {
    Outcome(response.status < 500, "");
    if (forward_ != nullptr) forward_->Respond(response);
  }
  void Fail(ServerError error) override {
    Outcome(false, CodeOf(error));
    if (forward_ != nullptr) forward_->Fail(error);
  }
  bool StartStream(const bindings::ResponseView& response) override {
    Outcome(response.status < 500, "");
    return forward_ != nullptr && forward_->StartStream(response);
  }
  bool WriteBody(std::string_view bytes) override { return forward_ != nullptr && forward_->WriteBody(bytes); }
  void EndBody(bool complete) override {
    if (forward_ != nullptr) forward_->EndBody(complete);
  }

  uint32_t tenant() const { return tenant_; }
  uint64_t id() const { return id_; }
  bool forwarded() const { return forward_ != nullptr; }

 private:
  void Outcome(bool ok, std::string_view error) {
    if (reported_) return;
    reported_ = true;
    Counts& counts = owner_->counts_[tenant_];
    ++(ok ? counts.ok : counts.exception);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    base::LogLine line(ok ? base::LogLevel::kInfo : base::LogLevel::kWarn, "scheduled event");
    line.Str("tenant", owner_->tenants_->TenantName(tenant_)).Str("cron", cron_).Str("outcome", ok ? "ok" : "exception");
    if (!error.empty()) line.Str("error", error);
    line.Num("ms", ms).Emit();
    if (done_) done_(ok, error);
    if (forward_ == nullptr) owner_->Finished(this);
  }

  ScheduledEvents* owner_;
  uint32_t tenant_;
  uint64_t id_;
  std::string cron_;
  ResponseSink* forward_;
  Done done_;
  std::chrono::steady_clock::time_point start_;
  bool reported_ = false;
};

ScheduledEvents::ScheduledEvents(uv_loop_t* loop, TenantManager* tenants) : loop_(loop), tenants_(tenants) {}

ScheduledEvents::~ScheduledEvents() {
  StopCrons();
  Shutdown();
}

void ScheduledEvents::StartCrons(uint64_t minute_ms) {
  StopCrons();
  minute_ms_ = minute_ms;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  next_minute_ = NowMs() / 60000 * 60 + 60;
  ArmTimer();
}

void ScheduledEvents::StopCrons() {
  if (timer_ == nullptr) return;
  uv_timer_stop(timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  timer_ = nullptr;
}

void ScheduledEvents::ArmTimer() {
  uint64_t delay = minute_ms_;
  if (delay == 0) {
    int64_t until = next_minute_ * 1000 - NowMs();
    delay = until > 0 ? static_cast<uint64_t>(until) + 1 : 0;
  }
  uv_timer_start(timer_, [](uv_timer_t* timer) { static_cast<ScheduledEvents*>(timer->data)->OnTick(); }, delay, 0);
}

void ScheduledEvents::OnTick() {
  if (minute_ms_ == 0) {
    int64_t now_minute = NowMs() / 60000 * 60;
    if (now_minute < next_minute_) return ArmTimer();  // woke early
    // A clock that jumped ahead (or a stalled loop): fire the current minute, skip the missed ones.
    if (now_minute > next_minute_) next_minute_ = now_minute;
  }
  int64_t minute = next_minute_;
  next_minute_ += 60;
  for (uint32_t index = 0; index < tenants_->tenant_slots(); ++index) {
    // An isolation group's tenant has its crons fired by its own process (isolation.h).
    if (!tenants_->Serving(index) || tenants_->Elsewhere(index)) continue;
    for (const config::CronSchedule& cron : tenants_->spec(index).crons) {
      if (cron.Matches(minute)) Fire(index, cron.text, static_cast<double>(minute) * 1000, nullptr, 0);
    }
  }
  if (timer_ != nullptr) ArmTimer();
}

void ScheduledEvents::Fire(uint32_t tenant, std::string_view cron, double scheduled_time_ms, ResponseSink* forward,
                           uint64_t id, Done done) {
  if (forward == nullptr) id = next_id_++;
  auto sink = std::make_unique<EventSink>(this, tenant, id, std::string(cron), forward, std::move(done));
  EventSink* raw = sink.get();
  events_[id] = std::move(sink);
  bindings::RequestView view;
  view.method = "GET";
  view.url = "http://scheduled/";
  view.scheduled = true;
  view.cron = cron;
  view.scheduled_time_ms = scheduled_time_ms;
  // Dispatched as a service call is: to the tenant, past routing, answered into the sink.
  tenants_->DispatchService(id, tenant, view, raw);
}

void ScheduledEvents::Finished(EventSink* sink) {
  // Not released here: the runtime is still inside the call that answered the sink.
  uint32_t tenant = sink->tenant();
  uint64_t id = sink->id();
  auto* task = new uv_timer_t;
  uv_timer_init(loop_, task);
  struct Release {
    ScheduledEvents* owner;
    uint32_t tenant;
    uint64_t id;
  };
  task->data = new Release{this, tenant, id};
  uv_timer_start(task, [](uv_timer_t* timer) {
    auto* release = static_cast<Release*>(timer->data);
    if (release->owner->events_.contains(release->id)) {
      release->owner->tenants_->ReleaseService(release->tenant, release->id);
      release->owner->events_.erase(release->id);
    }
    delete release;
    uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  }, 0, 0);
}

void ScheduledEvents::Forget(uint64_t id) {
  auto it = events_.find(id);
  if (it != events_.end() && it->second->forwarded()) events_.erase(it);
}

void ScheduledEvents::Shutdown() { events_.clear(); }

}  // namespace atl::server
