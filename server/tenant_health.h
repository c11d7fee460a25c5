#pragma once
// What limit kills and failed loads say about each tenant, and whether a cold tenant is refused
// for a while instead of loaded (SPEC §4 codes): a script that failed to load gets 500
// script_error for `retry_load_after_ms`; a tenant killed for the same limit (cpu, memory) twice
// within `kill_window_ms` gets that limit's 503 for `kill_cooldown_ms`, doubled by each further
// such kill (at most 16x), and at once after a kill whose run held the loop more than
// `kill_overrun_ms` past it (`kill_overrun_factor` times that, at most `max_kill_cooldown_ms`).
// Also each tenant's kill counts and handler time, for the admin API. Times are the loop's, in
// ms, passed in: no loop here.
//
//   TenantHealth health(pool_limits);
//   if (std::optional<ServerError> refused = health.Refusal(t, now)) return Fail(*refused);
//   TenantHealth::Cooldown c = health.Killed(t, isolates::LimitKind::kCpu, overrun_ms, now);

#include <cstdint>
#include <optional>
#include <vector>

#include "isolates/limits.h"
#include "server/error_response.h"

namespace atl::server {

class TenantHealth {
 public:
  // What one tenant did, as the admin API shows it.
  struct Counts {
    uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
    uint64_t run_ns = 0;  // the CPU its handlers were charged for on the loop (the platform's work left out)
    uint64_t loads_on_request = 0;  // isolates loaded for a request (a cold start)
    uint64_t prewarms = 0;          // isolates loaded ahead of requests (TenantManager::Warm)
  };
  // What a kill led to.
  struct Cooldown {
    uint64_t refused_ms = 0;    // the tenant is refused this long from now (0: not at all)
    uint32_t kills_in_a_row = 0;
  };

  explicit TenantHealth(const isolates::PoolLimits& limits) : limits_(limits) {}

  // The error a request for the cold tenant `tenant` gets at `now_ms` instead of a load, if any.
  std::optional<ServerError> Refusal(uint32_t tenant, uint64_t now_ms) const;
  // Its script did not load at `now_ms`.
  void LoadFailed(uint32_t tenant, uint64_t now_ms);
  // A new version loaded: a failed load of the old one no longer counts.
  void Deployed(uint32_t tenant);
  // Its isolate was killed for `why` at `now_ms`, its run going on `overrun_ms` past the kill.
  Cooldown Killed(uint32_t tenant, isolates::LimitKind why, uint64_t overrun_ms, uint64_t now_ms);

  Counts& counts(uint32_t tenant) { return Of(tenant).counts; }
  Counts counts(uint32_t tenant) const { return tenant < tenants_.size() ? tenants_[tenant].counts : Counts{}; }

 private:
  // Limit kills of one kind in a row, each within kill_window_ms of the last.
  struct Strikes {
    uint64_t last_ms = 0;
    uint32_t count = 0;
  };
  struct Tenant {
    uint64_t retry_load_at_ms = 0;    // after a failed load: 500 until then
    Strikes memory_strikes, cpu_strikes;
    uint64_t cooldown_until_ms = 0;   // after repeated kills: 503 `cooldown_error` until then
    ServerError cooldown_error = ServerError::kMemoryLimit;
    Counts counts;
  };
  Tenant& Of(uint32_t tenant) {
    if (tenant >= tenants_.size()) tenants_.resize(tenant + 1);
    return tenants_[tenant];
  }

  isolates::PoolLimits limits_;
  std::vector<Tenant> tenants_;  // by tenant index
};

}  // namespace atl::server
