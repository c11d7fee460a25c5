#include "isolates/cpu_watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "isolates/isolate_pool.h"

namespace atl::isolates {
namespace {

using Clock = CpuWatchdog::Clock;
constexpr uint64_t kMs = 1'000'000;

// Burns the calling thread's CPU for `ns` of its own CPU time (or until `stop` says so).
template <typename Stop>
void Spin(const CpuWatchdog& watchdog, uint64_t ns, Stop stop) {
  uint64_t begin = watchdog.ThreadCpuNanos();
  volatile uint64_t sink = 0;
  while (watchdog.ThreadCpuNanos() - begin < ns && !stop()) {
    for (int i = 0; i < 1000; ++i) sink = sink + i;
  }
}

class CpuWatchdogTest : public ::testing::Test {
 protected:
  IsolatePool pool_{IsolateBlueprint{}, /*warm=*/0};
  std::unique_ptr<TenantIsolate> isolate_ = pool_.Take();
};

// The point of the design: many short runs (a busy server's requests) cost the watchdog no
// wake-ups; a 1 ms tick would have woken it ~150 times here.
TEST_F(CpuWatchdogTest, ShortRunsDoNotWakeIt) {
  CpuWatchdog watchdog;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it parks
  uint64_t before = watchdog.wakeups();
  Clock::time_point end = Clock::now() + std::chrono::milliseconds(150);
  uint64_t runs = 0;
  while (Clock::now() < end) {
    watchdog.Enter(isolate_.get(), 50 * kMs, Clock::now());
    volatile int sink = 0;
    for (int i = 0; i < 2000; ++i) sink = sink + i;
    watchdog.Exit(Clock::now());
    ++runs;
  }
  EXPECT_GT(runs, 1000u);
  EXPECT_LE(watchdog.wakeups() - before, 20u) << runs << " runs";
  EXPECT_EQ(isolate_->killed(), LimitKind::kNone);
}

// A run past its budget is killed, never before it used the budget, and is charged its CPU.
TEST_F(CpuWatchdogTest, KillsARunPastItsBudgetNeverEarly) {
  CpuWatchdog watchdog;
  for (int round = 0; round < 3; ++round) {
    auto isolate = pool_.Take();
    Clock::time_point start = Clock::now();
    uint64_t cpu_start = watchdog.ThreadCpuNanos();
    watchdog.Enter(isolate.get(), 20 * kMs, start);
    Spin(watchdog, 2000 * kMs, [&] { return isolate->killed() != LimitKind::kNone; });
    uint64_t cpu_used = watchdog.ThreadCpuNanos() - cpu_start;
    Clock::time_point end = Clock::now();
    uint64_t charged = watchdog.Exit(end);
    ASSERT_EQ(isolate->killed(), LimitKind::kCpu) << "round " << round;
    EXPECT_GE(cpu_used, 20 * kMs) << "killed before its budget was used";
    EXPECT_GE(charged, 20 * kMs);
    EXPECT_LE(charged, uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
  }
}

// A run that waits (the thread sleeps: preempted, or blocked) is not charged for the wait.
TEST_F(CpuWatchdogTest, WaitingIsNotCharged) {
  CpuWatchdog watchdog;
  for (int round = 0; round < 3; ++round) {
    watchdog.Enter(isolate_.get(), 50 * kMs, Clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    uint64_t charged = watchdog.Exit(Clock::now());
    EXPECT_LT(charged, 2 * kMs) << "round " << round;
  }
  // ... and a short run is charged its wall time.
  Clock::time_point start = Clock::now();
  watchdog.Enter(isolate_.get(), 50 * kMs, start);
  EXPECT_EQ(watchdog.Exit(start + std::chrono::microseconds(300)), 300'000u);
  EXPECT_EQ(isolate_->killed(), LimitKind::kNone);
}

// A run given a budget smaller than the watchdog's next look wakes it: still killed.
TEST_F(CpuWatchdogTest, SmallBudgetAfterALongOneIsKilled) {
  CpuWatchdog watchdog;
  watchdog.Enter(isolate_.get(), 500 * kMs, Clock::now());  // the watchdog plans to look in 500 ms
  watchdog.Exit(Clock::now());
  auto isolate = pool_.Take();
  Clock::time_point start = Clock::now();
  watchdog.Enter(isolate.get(), 5 * kMs, start);
  Spin(watchdog, 2000 * kMs, [&] { return isolate->killed() != LimitKind::kNone; });
  auto took = Clock::now() - start;
  watchdog.Exit(Clock::now());
  ASSERT_EQ(isolate->killed(), LimitKind::kCpu);
  EXPECT_LT(took, std::chrono::milliseconds(400)) << "killed at the old look, not at its own deadline";
}

}  // namespace
}  // namespace atl::isolates
