#include "server/tenant_health.h"

#include <gtest/gtest.h>

namespace atl::server {
namespace {

using isolates::LimitKind;

isolates::PoolLimits Limits() {
  isolates::PoolLimits limits;
  limits.kill_window_ms = 10'000;
  limits.kill_cooldown_ms = 1'000;
  limits.kill_overrun_ms = 100;
  limits.kill_overrun_factor = 10;
  limits.max_kill_cooldown_ms = 60'000;
  limits.retry_load_after_ms = 5'000;
  return limits;
}

TEST(TenantHealth, OneKillRefusesNothing) {
  TenantHealth health(Limits());
  EXPECT_EQ(health.Refusal(3, 0), std::nullopt) << "a tenant never seen";
  TenantHealth::Cooldown cooldown = health.Killed(3, LimitKind::kCpu, 0, 1'000);
  EXPECT_EQ(cooldown.refused_ms, 0u);
  EXPECT_EQ(cooldown.kills_in_a_row, 1u);
  EXPECT_EQ(health.Refusal(3, 1'000), std::nullopt);
  EXPECT_EQ(health.counts(3).cpu_kills, 1u);
}

TEST(TenantHealth, KillsInARowDoubleTheCooldownUpTo16Times) {
  TenantHealth health(Limits());
  uint64_t now = 100'000;
  health.Killed(0, LimitKind::kMemory, 0, now);
  std::vector<uint64_t> refused;
  for (int i = 0; i < 6; ++i) {
    now += 500;
    refused.push_back(health.Killed(0, LimitKind::kMemory, 0, now).refused_ms);
  }
  EXPECT_EQ(refused, (std::vector<uint64_t>{1'000, 2'000, 4'000, 8'000, 16'000, 16'000}));
  EXPECT_EQ(health.Refusal(0, now), ServerError::kMemoryLimit);
  EXPECT_EQ(health.Refusal(0, now + 16'000), std::nullopt);
  EXPECT_EQ(health.counts(0).memory_kills, 7u);
}

TEST(TenantHealth, KillsFarApartOrOfAnotherKindAreNotInARow) {
  TenantHealth health(Limits());
  health.Killed(0, LimitKind::kCpu, 0, 0);
  EXPECT_EQ(health.Killed(0, LimitKind::kMemory, 0, 1).refused_ms, 0u) << "another limit";
  EXPECT_EQ(health.Killed(0, LimitKind::kCpu, 0, 20'000).refused_ms, 0u) << "past the window";
  EXPECT_EQ(health.Killed(0, LimitKind::kCpu, 0, 20'001).refused_ms, 1'000u);
  EXPECT_EQ(health.Refusal(0, 20'001), ServerError::kCpuLimit);
}

TEST(TenantHealth, AnOverrunRefusesAtOnceInProportion) {
  TenantHealth health(Limits());
  EXPECT_EQ(health.Killed(0, LimitKind::kCpu, 100, 0).refused_ms, 0u) << "at the allowance";
  EXPECT_EQ(health.Killed(1, LimitKind::kCpu, 300, 0).refused_ms, 3'000u);
  EXPECT_EQ(health.Killed(2, LimitKind::kCpu, 30'000, 0).refused_ms, 60'000u) << "capped";
  EXPECT_EQ(health.Refusal(1, 2'999), ServerError::kCpuLimit);
}

TEST(TenantHealth, AFailedLoadIsRefusedUntilRetryOrADeploy) {
  TenantHealth health(Limits());
  health.LoadFailed(0, 1'000);
  EXPECT_EQ(health.Refusal(0, 5'999), ServerError::kScriptError);
  EXPECT_EQ(health.Refusal(0, 6'000), std::nullopt);
  health.LoadFailed(0, 10'000);
  health.Deployed(0);
  EXPECT_EQ(health.Refusal(0, 10'000), std::nullopt);
}

}  // namespace
}  // namespace atl::server
