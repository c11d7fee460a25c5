#include "isolates/cpu_accounts.h"

#include <gtest/gtest.h>

namespace atl::isolates {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(CpuAccounts, ARequestsRunsShareItsBudgetAcrossEntries) {
  CpuAccounts accounts(50, RuntimeCaps());
  accounts.Open(7);
  EXPECT_EQ(accounts.Remaining(7, 0), 50 * kMs);
  // Many short runs: none is long, their sum is.
  for (int i = 0; i < 49; ++i) EXPECT_FALSE(accounts.Charge(7, kMs, 0));
  EXPECT_EQ(accounts.Remaining(7, 0), kMs);
  EXPECT_TRUE(accounts.Charge(7, kMs, 0));
  EXPECT_EQ(accounts.Remaining(7, 0), 0u);
}

TEST(CpuAccounts, AnAccountLivesWhileSomethingHoldsIt) {
  CpuAccounts accounts(50, RuntimeCaps());
  accounts.Open(7);     // in flight
  accounts.Ref(7);      // a timer armed by its JS
  accounts.Charge(7, 30 * kMs, 0);
  accounts.Unref(7);    // answered
  EXPECT_TRUE(accounts.Has(7)) << "the timer can still run under it";
  EXPECT_EQ(accounts.Remaining(7, 0), 20 * kMs) << "work after the response continues the same budget";
  accounts.Unref(7);    // the timer fired
  EXPECT_FALSE(accounts.Has(7));
  EXPECT_EQ(accounts.open(), 0u);
}

TEST(CpuAccounts, TheBackgroundBucketRefillsOverItsWindow) {
  RuntimeCaps caps;
  caps.background_cpu_window_ms = 1000;
  CpuAccounts accounts(10, caps);
  EXPECT_FALSE(accounts.Charge(CpuAccounts::kBackground, 6 * kMs, 1000 * kMs));
  EXPECT_EQ(accounts.Remaining(CpuAccounts::kBackground, 1000 * kMs), 4 * kMs);
  // 500 ms later half the budget is back.
  EXPECT_EQ(accounts.Remaining(CpuAccounts::kBackground, 1500 * kMs), 9 * kMs);
  // A chain that spends faster than the refill runs dry.
  uint64_t now = 1500 * kMs;
  bool dry = false;
  for (int i = 0; i < 100 && !dry; ++i) dry = accounts.Charge(CpuAccounts::kBackground, kMs, now += 10 * kMs);
  EXPECT_TRUE(dry);
  // An unknown id is charged to the background account.
  EXPECT_EQ(accounts.Remaining(99, now), accounts.Remaining(CpuAccounts::kBackground, now));
}

TEST(CpuAccounts, ConsoleOutputIsCutOncePerRequest) {
  RuntimeCaps caps;
  caps.max_log_bytes = 100;
  CpuAccounts accounts(50, caps);
  accounts.Open(1);
  EXPECT_EQ(accounts.ChargeLog(1, 60, 0), CpuAccounts::LogVerdict::kWrite);
  EXPECT_EQ(accounts.ChargeLog(1, 60, 0), CpuAccounts::LogVerdict::kTruncate);
  EXPECT_EQ(accounts.ChargeLog(1, 1, 0), CpuAccounts::LogVerdict::kDrop);
  EXPECT_EQ(accounts.ChargeLog(1, 0, 0), CpuAccounts::LogVerdict::kDrop);
  accounts.Open(2);
  EXPECT_EQ(accounts.ChargeLog(2, 100, 0), CpuAccounts::LogVerdict::kWrite) << "the next request logs again";
}

}  // namespace
}  // namespace atl::isolates
