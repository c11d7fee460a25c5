#pragma once
// The server half of Durable Objects (bindings/durable_objects.h, js/lazy/durable_objects.js) in
// one worker process:
// - a loopback listener (127.0.0.1, any port, its own HttpServer) for the calls other worker
//   processes forward for objects this one owns (kv::ObjectPlacement); the port goes to
//   `<data_dir>/do/run/worker-<index>.port`, which the callers read. Its requests go to the
//   tenant named by the path's first segment, carrying `x-atoll-do` and the secret the
//   supervisor gave every worker (`ATOLL_DO=<workers>,<secret>`), which the JS half checks;
// - the forwarding itself: a fetch with the service "@do:<owner>" becomes a loopback request
//   to that process's listener (TenantManager::StartFetch -> ForwardRequest);
// - the alarm poller: every 200 ms the alarm index (kv::AlarmIndex) gives the alarms due of
//   the objects this process owns, each dispatched to its tenant as an `x-atoll-do: alarm` event.
//   The index persists, so alarms set before a restart fire within a second after it.
//
//   DurableObjectsService service(loop, &tenants, limits);
//   service.Start();   // when data_dir is set

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/http_server.h"

namespace atl::server {

class TenantManager;

// "ATOLL_DO=<workers>,<secret>" for a worker process's environment (one secret per supervisor).
std::string DurableObjectsEnvironment(uint32_t workers);
// Reads ATOLL_DO into kv::DoConfig() (workers, secret) with `data_dir`, `index` and the limits.
void ConfigureDurableObjects(const std::string& data_dir, uint32_t index, uint64_t max_bytes, uint32_t idle_ms);

// The port of worker process `index`'s listener; 0 when unknown.
uint16_t DurableObjectsPortOf(uint32_t index);

class DurableObjectsService : public RequestSink {
 public:
  DurableObjectsService(uv_loop_t* loop, TenantManager* tenants, const isolates::ConnectionLimits& limits);
  ~DurableObjectsService() override;
  absl::Status Start();
  void Shutdown();

  RouteDecision Route(std::string_view host, std::string_view path) override;
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) override;
  bool PushUpload(uint64_t id, int32_t target, std::string_view bytes) override;
  void EndUpload(uint64_t id, int32_t target, std::string_view error) override;
  void ResumeResponse(uint64_t id, int32_t target) override;
  void Forget(uint64_t id, int32_t target, bool aborted) override;

 private:
  class AlarmSink;
  void Poll();
  void PollSoon();  // Poll in 5 ms (an alarm event ended)

  uv_loop_t* loop_;
  TenantManager* tenants_;
  HttpServer server_;
  uv_timer_t* timer_ = nullptr;
  uint64_t next_alarm_id_;
  bool alarms_seen_ = false;  // the alarm index exists (made by the first setAlarm)
  std::map<uint64_t, std::unique_ptr<AlarmSink>> alarms_;   // in flight, by request id
  std::map<std::string, uint64_t> retry_after_;              // alarm key -> not before (ms)
};

}  // namespace atl::server
