#pragma once
// Scheduled events (cron triggers, SPEC §2 `[tenants.triggers] crons`): a timer on the worker's
// loop that, at each UTC minute, dispatches the scheduled handler of every tenant whose cron
// matches it, and the events fired by hand (the admin API's POST /tenants/NAME/scheduled and
// wrangler's GET /__scheduled?cron=... with --test-scheduled). An event is dispatched to the
// tenant like a request (RequestView::scheduled): the same CPU, memory and wall limits, and
// ctx.waitUntil holds it open. Outcomes are counted per tenant (atoll_scheduled_total) and logged.
// With several worker processes only worker 0 runs the timer, so each cron fires once a minute
// in the whole server (a worker 0 that is restarted at that moment may miss a minute).
//
//   ScheduledEvents events(loop, &tenants);
//   events.StartCrons(/*minute_ms=*/0);          // real minutes
//   events.Fire(tenant, "* * * * *", now_ms, nullptr, 0);

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "server/response_sink.h"

namespace atl::server {

class TenantManager;

class ScheduledEvents {
 public:
  struct Counts {
    uint64_t ok = 0;
    uint64_t exception = 0;
  };
  // Called with the outcome of an event fired by hand (admin API): true when it ran, and the
  // error code or message otherwise.
  using Done = std::function<void(bool ok, std::string_view error)>;

  ScheduledEvents(uv_loop_t* loop, TenantManager* tenants);
  ~ScheduledEvents();

  // Fires the tenants' crons from now on. `minute_ms` 0: at each real UTC minute; else (tests:
  // ATOLL_TEST_CRON_MINUTE_MS) a minute passes every `minute_ms` of real time, starting now.
  void StartCrons(uint64_t minute_ms);
  void StopCrons();
  // Runs tenant `tenant`'s scheduled handler for `cron` now. Its answer goes to `forward` (a
  // client's request `id`: /__scheduled) when given, else to `done` (if any).
  void Fire(uint32_t tenant, std::string_view cron, double scheduled_time_ms, ResponseSink* forward, uint64_t id,
            Done done = nullptr);
  // The sink's owner is done with request `id` (a forwarded event).
  void Forget(uint64_t id);
  // Drops every event in flight (the runtimes are going away).
  void Shutdown();

  Counts CountsOf(uint32_t tenant) const {
    auto it = counts_.find(tenant);
    return it == counts_.end() ? Counts{} : it->second;
  }

  // The `cron` parameter of `url`'s query, decoded ('+' is a space, as wrangler's
  // /__scheduled?cron=*+*+*+*+* has it); "" when absent.
  static std::string CronOfQuery(std::string_view url);

  // Ids of events fired here: above every client request's, below the service calls'.
  static constexpr uint64_t kFirstEventId = uint64_t{1} << 51;

 private:
  class EventSink;
  void OnTick();
  void ArmTimer();
  void Finished(EventSink* sink);

  uv_loop_t* loop_;
  TenantManager* tenants_;
  uv_timer_t* timer_ = nullptr;   // closed asynchronously
  uint64_t minute_ms_ = 0;
  int64_t next_minute_ = 0;        // Unix seconds of the next minute to fire
  uint64_t next_id_ = kFirstEventId;
  absl::flat_hash_map<uint64_t, std::unique_ptr<EventSink>> events_;
  absl::flat_hash_map<uint32_t, Counts> counts_;
};

}  // namespace atl::server
