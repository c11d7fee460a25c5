#include "server/tenant_health.h"

#include <algorithm>

namespace atl::server {

std::optional<ServerError> TenantHealth::Refusal(uint32_t tenant, uint64_t now_ms) const {
  if (tenant >= tenants_.size()) return std::nullopt;
  const Tenant& state = tenants_[tenant];
  if (now_ms < state.retry_load_at_ms) return ServerError::kScriptError;  // failed to load a moment ago
  if (now_ms < state.cooldown_until_ms) return state.cooldown_error;     // killed for a limit again and again
  return std::nullopt;
}

void TenantHealth::LoadFailed(uint32_t tenant, uint64_t now_ms) {
  // A script that does not load costs up to its startup CPU budget per attempt: not again at once.
  Of(tenant).retry_load_at_ms = now_ms + limits_.retry_load_after_ms;
}

void TenantHealth::Deployed(uint32_t tenant) { Of(tenant).retry_load_at_ms = 0; }

TenantHealth::Cooldown TenantHealth::Killed(uint32_t tenant, isolates::LimitKind why, uint64_t overrun_ms,
                                            uint64_t now_ms) {
  Tenant& state = Of(tenant);
  bool memory = why == isolates::LimitKind::kMemory;
  (memory ? state.counts.memory_kills : state.counts.cpu_kills)++;
  Strikes& strikes = memory ? state.memory_strikes : state.cpu_strikes;
  bool again = strikes.count > 0 && now_ms - strikes.last_ms < limits_.kill_window_ms;
  strikes.count = again ? strikes.count + 1 : 1;
  strikes.last_ms = now_ms;
  uint64_t cooldown = 0;
  if (strikes.count >= 2) cooldown = uint64_t{limits_.kill_cooldown_ms} << std::min(strikes.count - 2, 4u);
  if (overrun_ms > limits_.kill_overrun_ms) {
    cooldown = std::max(cooldown, std::min<uint64_t>(overrun_ms * limits_.kill_overrun_factor,
                                                     limits_.max_kill_cooldown_ms));
  }
  if (cooldown != 0) {
    state.cooldown_until_ms = now_ms + cooldown;
    state.cooldown_error = memory ? ServerError::kMemoryLimit : ServerError::kCpuLimit;
  }
  return Cooldown{cooldown, strikes.count};
}

}  // namespace atl::server
