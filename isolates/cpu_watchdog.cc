#include "isolates/cpu_watchdog.h"

#include <pthread.h>

#include <chrono>

namespace atl::isolates {
namespace {
constexpr auto kTick = std::chrono::milliseconds(1);
// While nothing runs the watchdog sleeps this long unless Enter wakes it.
constexpr auto kParked = std::chrono::milliseconds(50);

uint64_t ReadClock(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}
}  // namespace

CpuWatchdog::CpuWatchdog() {
  pthread_getcpuclockid(pthread_self(), &clock_);
  thread_ = std::thread([this] { Run(); });
}

CpuWatchdog::~CpuWatchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

uint64_t CpuWatchdog::ThreadCpuNanos() const { return ReadClock(clock_); }

void CpuWatchdog::Enter(TenantIsolate* target, uint32_t budget_ms) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    target_ = target;
    budget_ns_ = uint64_t{budget_ms} * 1'000'000u;
    ++run_;
    wake = parked_;
  }
  if (wake) wake_.notify_one();
}

void CpuWatchdog::Exit() {
  std::lock_guard lock(mu_);
  target_ = nullptr;
}

void CpuWatchdog::Run() {
  uint64_t seen_run = 0;
  uint64_t run_start = 0;  // CPU clock when this run was first seen (at most one tick late)
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (target_ == nullptr) {
      parked_ = true;
      wake_.wait_for(lock, kParked);
      parked_ = false;
      continue;
    }
    uint64_t run = run_;
    uint64_t budget = budget_ns_;
    lock.unlock();
    uint64_t now = ReadClock(clock_);
    lock.lock();
    if (run != seen_run) {
      seen_run = run;
      run_start = now;
    } else if (target_ != nullptr && run_ == run && now - run_start >= budget) {
      target_->Kill(LimitKind::kCpu);  // under mu_: Exit cannot return and free the target meanwhile
    }
    lock.unlock();
    std::this_thread::sleep_for(kTick);
    lock.lock();
  }
}

}  // namespace atl::isolates
