#include "isolates/cpu_watchdog.h"

#include <algorithm>

#include "isolates/thread_cpu_clock.h"

namespace atl::isolates {
namespace {
constexpr auto kTick = std::chrono::milliseconds(1);
// While nothing runs the watchdog sleeps this long unless Enter wakes it.
constexpr auto kParked = std::chrono::milliseconds(50);
// It parks only after this many ticks in a row found no run in progress: while requests keep
// coming (a run at least every 20 ms) it keeps ticking, and Enter never has to wake it (a futex
// wake and a context switch on the JS thread's core per request, when it parked between runs).
constexpr int kIdleTicksBeforePark = 20;
// The most a run is charged for the wall time the watchdog did not see (before its first sample).
constexpr uint64_t kUnsampledNs = 1'000'000;
// The most CPU counted between two samples of a run (or its last sample and its end). On time
// they are a tick apart; a longer gap means the watchdog itself could not run (an overloaded
// machine, or a stalled vCPU), and then the JS thread's CPU clock is not to be trusted: a
// trivial handler's run was seen charged 100 ms of CPU (no page fault, one context switch) in
// such a gap on the 2-core test VM, whose host reports no steal time.
constexpr uint64_t kMaxBetweenSamplesNs = 2'000'000;

uint64_t ReadClock(clockid_t clock) { return static_cast<uint64_t>(std::max<int64_t>(ReadCpuClockNs(clock), 0)); }

uint64_t NanosBetween(CpuWatchdog::Clock::time_point from, CpuWatchdog::Clock::time_point to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}
}  // namespace

CpuWatchdog::CpuWatchdog() {
  clock_ = CurrentThreadCpuClock();
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

void CpuWatchdog::Enter(TenantIsolate* target, uint64_t budget_ns, Clock::time_point start) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    target_ = target;
    budget_ns_ = budget_ns;
    started_ = start;
    ++run_;
    wake = parked_;
  }
  if (wake) wake_.notify_one();
}

uint64_t CpuWatchdog::Exit(Clock::time_point end) {
  uint64_t wall;
  uint64_t before_sample;
  uint64_t counted;
  uint64_t last_cpu;
  {
    std::lock_guard lock(mu_);
    target_ = nullptr;
    wall = NanosBetween(started_, end);
    // Not sampled: shorter than a tick, or the watchdog was kept from running (the machine is
    // overloaded, and so the JS thread was most likely waiting too): at most a tick.
    if (sampled_run_ != run_) return std::min(wall, kUnsampledNs);
    before_sample = std::min(NanosBetween(started_, sampled_at_), kUnsampledNs);
    counted = counted_ns_;
    last_cpu = last_cpu_;
  }
  // Only runs that lasted a tick or more pay for this system call.
  uint64_t cpu = ReadClock(clock_);
  uint64_t bound = before_sample + counted + std::min(cpu > last_cpu ? cpu - last_cpu : 0, kMaxBetweenSamplesNs);
  return std::min(wall, bound);
}

void CpuWatchdog::Run() {
  int idle_ticks = 0;      // ticks in a row that found no run in progress and none started since the last
  uint64_t idle_run = 0;   // run_ at the last idle tick
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (target_ == nullptr) {
      // Short runs mostly fall between two ticks: one that started since the last tick counts as work.
      if (run_ != idle_run) idle_ticks = 0;
      idle_run = run_;
      if (++idle_ticks >= kIdleTicksBeforePark) {
        parked_ = true;
        wake_.wait_for(lock, kParked, [this] { return stop_ || target_ != nullptr; });
        parked_ = false;
      } else {
        lock.unlock();
        std::this_thread::sleep_for(kTick);
        lock.lock();
      }
      continue;
    }
    idle_ticks = 0;
    uint64_t run = run_;
    uint64_t budget = budget_ns_;
    lock.unlock();
    uint64_t now = ReadClock(clock_);
    Clock::time_point now_wall = Clock::now();
    lock.lock();
    if (target_ != nullptr && run_ == run) {
      if (sampled_run_ != run) {
        sampled_run_ = run;
        sampled_at_ = now_wall;
        counted_ns_ = 0;
      } else {
        counted_ns_ += std::min(now > last_cpu_ ? now - last_cpu_ : 0, kMaxBetweenSamplesNs);
        if (counted_ns_ >= budget) target_->Kill(LimitKind::kCpu);  // under mu_: Exit cannot return and free the target meanwhile
      }
      last_cpu_ = now;
    }
    lock.unlock();
    std::this_thread::sleep_for(kTick);
    lock.lock();
  }
}

}  // namespace atl::isolates
