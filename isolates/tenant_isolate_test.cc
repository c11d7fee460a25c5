#include "isolates/tenant_isolate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

namespace atl::isolates {
namespace {

// Burns `ms` of this thread's CPU time.
void Spin(int ms) {
  timespec start{}, now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  do {
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

// How long a killed run held its thread past the kill decides a tenant's cool-down
// (LimitKind overrun, base/limits.h kill_overrun_ms): it is the thread's CPU time, so a thread the
// machine preempted (here: asleep) is not counted, and one that kept running is. The kill comes
// from another thread, as the CPU watchdog's does.
TEST(TenantIsolate, TheTimeAKilledRunHeldItsThreadIsCpuTimeNotWallTime) {
  std::unique_ptr<TenantIsolate> isolate = TenantIsolate::Create(IsolateBlueprint{});
  EXPECT_EQ(isolate->MsSinceKill(), 0u);
  std::thread([&] { isolate->Kill(LimitKind::kMemory); }).join();
  EXPECT_EQ(isolate->killed(), LimitKind::kMemory);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(isolate->MsSinceKill(), 100u) << "the time asleep was counted";
  Spin(250);
  EXPECT_GE(isolate->MsSinceKill(), 240u) << "the CPU time spent was not counted";
}

}  // namespace
}  // namespace atl::isolates
