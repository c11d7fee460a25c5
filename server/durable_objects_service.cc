#include "server/durable_objects_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/files.h"
#include "base/log.h"
#include "base/strings.h"
#include "kv/do_store.h"
#include "server/tenant_manager.h"

namespace atl::server {
namespace {

constexpr uint64_t kFirstListenerId = uint64_t{1} << 50;
constexpr uint64_t kFirstAlarmId = (uint64_t{1} << 50) + (uint64_t{1} << 49);
constexpr uint64_t kPollMs = 200;
// After an alarm event ends, the next look comes this soon: a backlog goes on at once, and an
// object that re-arms its alarm for "now" gets at most ~200 events a second, not a busy loop.
constexpr uint64_t kPollSoonMs = 5;
constexpr uint64_t kAlarmRetryMs = 5000;  // an alarm whose event failed in the server waits this long

std::filesystem::path PortFile(uint32_t index) {
  return kv::DoConfig().data_dir / "do" / "run" / base::StrCat("worker-", index, ".port");
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string DurableObjectsEnvironment(uint32_t workers) {
  static const std::string secret = [] {
    // getrandom, not OpenSSL's RAND_bytes: initializing OpenSSL's generator in the supervisor
    // would make it ~2.4 MB larger.
    unsigned char bytes[24] = {};
    if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
      base::LogLine(base::LogLevel::kError, "Durable Objects: getrandom failed; forwarded calls are refused").Emit();
      return std::string();
    }
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  }();
  return base::StrCat("ATOLL_DO=", workers, ",", secret);  // an empty secret matches no token
}

void ConfigureDurableObjects(const std::string& data_dir, uint32_t index, uint64_t max_bytes, uint32_t idle_ms) {
  kv::DoSettings& settings = kv::DoConfig();
  settings.data_dir = data_dir;
  settings.worker_index = index;
  if (max_bytes != 0) settings.max_bytes = max_bytes;
  if (idle_ms != 0) settings.idle_ms = idle_ms;
  const char* env = getenv("ATOLL_DO");
  std::string_view value = env == nullptr ? "" : env;
  size_t comma = value.find(',');
  uint64_t workers = 1;
  if (comma != std::string_view::npos && base::ParseUnsigned(value.substr(0, comma), &workers) && workers > 0) {
    settings.workers = static_cast<uint32_t>(workers);
    settings.secret = std::string(value.substr(comma + 1));
  }
}

uint16_t DurableObjectsPortOf(uint32_t index) {
  std::ifstream in(PortFile(index));
  unsigned port = 0;
  if (!(in >> port) || port > 65535) return 0;
  return static_cast<uint16_t>(port);
}

// Where an alarm event's answer goes: nowhere but a log line on failure. Its end asks the
// service to look at the alarms again at once (the object may have set its next one for now: a
// queue with a backlog, a Workflow's next step), not at the next 200 ms tick.
class DurableObjectsService::AlarmSink : public ResponseSink {
 public:
  AlarmSink(DurableObjectsService* service, uint32_t tenant, std::string key)
      : service_(service), tenant_(tenant), key_(std::move(key)) {}
  void Respond(const bindings::ResponseView& response) override { Finish(response.status >= 200 && response.status < 300); }
  void Fail(ServerError error) override { Finish(false); }
  bool StartStream(const bindings::ResponseView& response) override {
    status_ok_ = response.status >= 200 && response.status < 300;
    return true;
  }
  bool WriteBody(std::string_view bytes) override { return true; }
  void EndBody(bool complete) override { Finish(complete && status_ok_); }
  bool done() const { return done_; }
  bool ok() const { return ok_; }
  uint32_t tenant() const { return tenant_; }
  const std::string& key() const { return key_; }

 private:
  void Finish(bool ok) {
    if (done_) return;
    done_ = true;
    ok_ = ok;
    service_->PollSoon();
  }
  DurableObjectsService* service_;
  uint32_t tenant_;
  std::string key_;
  bool status_ok_ = false;
  bool done_ = false;
  bool ok_ = false;
};

DurableObjectsService::DurableObjectsService(uv_loop_t* loop, TenantManager* tenants,
                                             const isolates::ConnectionLimits& limits)
    : loop_(loop), tenants_(tenants), server_(loop, limits, this), next_alarm_id_(kFirstAlarmId) {
  server_.set_next_id(kFirstListenerId);
}

DurableObjectsService::~DurableObjectsService() { Shutdown(); }

absl::Status DurableObjectsService::Start() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("Durable Objects listener: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 512) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError("Durable Objects listener: bind/listen on 127.0.0.1 failed");
  }
  // A WebSocket upgrade forwarded here (a stub.fetch() with Upgrade: websocket) joins the
  // process's one socket table.
  if (HttpServer* main = tenants_->server()) server_.share_websockets(main);
  absl::StatusOr<std::string> bound = server_.ListenOn(fd);
  if (!bound.ok()) return bound.status();
  std::filesystem::path file = PortFile(kv::DoConfig().worker_index);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Written whole then renamed: a caller never reads half a number.
  std::filesystem::path temp = file;
  temp += base::StrCat(".", getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << ntohs(address.sin_port) << "\n";
  }
  std::filesystem::rename(temp, file, ec);
  if (ec) return absl::InternalError(base::StrCat("Durable Objects: cannot write ", file.string()));
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, [](uv_timer_t* timer) { static_cast<DurableObjectsService*>(timer->data)->Poll(); }, kPollMs,
                 kPollMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  return absl::OkStatus();
}

void DurableObjectsService::Shutdown() {
  server_.Shutdown();
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    timer_ = nullptr;
  }
  alarms_.clear();
}

void DurableObjectsService::PollSoon() {
  // The repeating timer, restarted to fire kPollSoonMs from now (never inside the caller), unless
  // it is due sooner already.
  if (timer_ != nullptr && uv_timer_get_due_in(timer_) > kPollSoonMs) {
    uv_timer_start(timer_, [](uv_timer_t* timer) { static_cast<DurableObjectsService*>(timer->data)->Poll(); },
                   kPollSoonMs, kPollMs);
  }
}

void DurableObjectsService::Poll() {
  int64_t now = NowMs();
  // Alarm events answered since the last turn: their tenants let go of them now.
  for (auto it = alarms_.begin(); it != alarms_.end();) {
    if (!it->second->done()) {
      ++it;
      continue;
    }
    if (!it->second->ok()) retry_after_[it->second->key()] = static_cast<uint64_t>(now) + kAlarmRetryMs;
    else retry_after_.erase(it->second->key());
    tenants_->ReleaseService(it->second->tenant(), it->first);
    it = alarms_.erase(it);
  }
  // No alarm was ever set under this data_dir: the index is not opened (nor made) for nothing.
  if (!alarms_seen_) {
    std::error_code ec;
    if (!std::filesystem::exists(kv::DoConfig().data_dir / "do" / "alarms.sqlite3", ec)) return;
    alarms_seen_ = true;
  }
  kv::AlarmIndex* index = kv::AlarmIndex::Get();
  if (index == nullptr) return;
  for (const kv::DueAlarm& alarm : index->Due(now)) {
    std::string key = base::StrCat(alarm.tenant, " ", alarm.class_name, " ", alarm.id);
    bool busy = false;
    for (const auto& [id, sink] : alarms_) busy = busy || sink->key() == key;
    if (busy) continue;
    if (auto retry = retry_after_.find(key); retry != retry_after_.end() && static_cast<uint64_t>(now) < retry->second) {
      continue;
    }
    int32_t tenant = tenants_->Find(alarm.tenant);
    if (tenant < 0 || !tenants_->Serving(static_cast<uint32_t>(tenant))) {
      retry_after_[key] = static_cast<uint64_t>(now) + kAlarmRetryMs;  // a tenant not (yet) deployed here
      continue;
    }
    uint64_t id = next_alarm_id_++;
    auto sink = std::make_unique<AlarmSink>(this, static_cast<uint32_t>(tenant), key);
    AlarmSink* raw = sink.get();
    alarms_[id] = std::move(sink);
    std::string marker = base::StrCat("alarm ", alarm.class_name, " ", alarm.id);
    std::vector<bindings::HeaderView> headers = {{"x-atoll-do", marker}, {"x-atoll-do-token", kv::DoConfig().secret}};
    bindings::RequestView view;
    view.method = "POST";
    view.url = "http://durable-object.internal/alarm";
    view.headers = headers;
    tenants_->DispatchService(id, static_cast<uint32_t>(tenant), view, raw);
  }
}

RouteDecision DurableObjectsService::Route(std::string_view host, std::string_view path) {
  RouteDecision decision;
  if (path.size() < 2 || path[0] != '/') return decision;
  std::string_view name = path.substr(1);
  name = name.substr(0, name.find('/'));
  decision.target = tenants_->Find(name);
  decision.max_request_body = uint64_t{128} << 20;
  return decision;
}

void DurableObjectsService::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request,
                                     ResponseSink& response) {
  tenants_->Dispatch(id, target, request, response);
}

bool DurableObjectsService::PushUpload(uint64_t id, int32_t target, std::string_view bytes) {
  return tenants_->PushUpload(id, target, bytes);
}

void DurableObjectsService::EndUpload(uint64_t id, int32_t target, std::string_view error) {
  tenants_->EndUpload(id, target, error);
}

void DurableObjectsService::ResumeResponse(uint64_t id, int32_t target) { tenants_->ResumeResponse(id, target); }

void DurableObjectsService::Forget(uint64_t id, int32_t target, bool aborted) { tenants_->Forget(id, target, aborted); }

}  // namespace atl::server
