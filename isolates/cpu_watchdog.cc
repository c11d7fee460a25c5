#include "isolates/cpu_watchdog.h"

#include <pthread.h>

#include <algorithm>

namespace atl::isolates {
namespace {
constexpr auto kTick = std::chrono::milliseconds(1);
constexpr uint64_t kTickNs = 1'000'000;
// With no run in progress the watchdog looks this often ...
constexpr auto kIdleLook = std::chrono::milliseconds(10);
// ... this many times in a row, then parks until an Enter wakes it.
constexpr int kIdleLooksBeforePark = 5;
// Never sleeps less than this while a run is in progress (a run close to its budget).
constexpr auto kMinStep = std::chrono::microseconds(200);

uint64_t ReadClock(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

uint64_t NanosBetween(CpuWatchdog::Clock::time_point from, CpuWatchdog::Clock::time_point to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}
}  // namespace

CpuWatchdog::CpuWatchdog() {
  pthread_getcpuclockid(pthread_self(), &clock_);
  ref_cpu_ = ReadClock(clock_);
  ref_at_ = Clock::now();
  wake_at_ = Clock::time_point::max();
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

uint64_t CpuWatchdog::wakeups() const {
  std::lock_guard lock(mu_);
  return wakeups_;
}

void CpuWatchdog::Enter(TenantIsolate* target, uint64_t budget_ns, Clock::time_point start) {
  // The reference reading is refreshed at most once a tick: one system call per tick of activity.
  if (start - ref_at_ >= kTick) {
    ref_cpu_ = ReadClock(clock_);
    ref_at_ = Clock::now();
  }
  // Between the reading and the run's start the thread used at most that wall time on other
  // (the platform's) work: the reading plus it is an upper bound of the CPU clock at the start,
  // so CPU counted from there is never more than the run used (no early kill, no charge for work
  // before the run; at most a tick of the run goes uncounted).
  uint64_t gap = NanosBetween(ref_at_, start);
  uint64_t start_cpu = ref_cpu_ + gap;
  auto deadline = start + std::chrono::nanoseconds(budget_ns);
  bool wake;
  {
    std::lock_guard lock(mu_);
    target_ = target;
    budget_ns_ = budget_ns;
    started_ = start;
    run_cpu_start_ = start_cpu;
    ++run_;
    wake = deadline < wake_at_;
    if (wake) wake_at_ = deadline;  // one wake per earlier deadline, not one per run
  }
  if (wake) wake_.notify_one();
}

uint64_t CpuWatchdog::Exit(Clock::time_point end) {
  uint64_t wall;
  uint64_t floor_charge = 0;
  uint64_t start_cpu;
  {
    std::lock_guard lock(mu_);
    target_ = nullptr;
    wall = NanosBetween(started_, end);
    start_cpu = run_cpu_start_;
    // A run the watchdog killed used its budget: it is charged that much at least, so that the
    // caller's account runs dry too.
    if (killed_run_ == run_) floor_charge = budget_ns_;
  }
  if (wall < kTickNs) return std::max(wall, floor_charge);
  // Only runs that lasted a tick or more pay for this system call; it is the next reference too.
  uint64_t cpu = ReadClock(clock_);
  uint64_t used = cpu > start_cpu ? cpu - start_cpu : 0;
  ref_cpu_ = cpu;
  ref_at_ = Clock::now();
  return std::max(std::min(wall, used), floor_charge);
}

void CpuWatchdog::Run() {
  int idle_looks = 0;
  std::unique_lock lock(mu_);
  while (!stop_) {
    Clock::time_point now = Clock::now();
    if (wake_at_ > now) {
      // Woken early (Enter moved wake_at_ earlier, or spuriously): the loop looks again.
      if (wake_at_ == Clock::time_point::max()) {
        wake_.wait(lock);
      } else {
        Clock::time_point until = wake_at_;
        wake_.wait_until(lock, until);
      }
      continue;
    }
    ++wakeups_;
    if (target_ == nullptr) {
      // Nothing runs: look again soon, park after a while (Enter wakes a parked watchdog).
      wake_at_ = ++idle_looks > kIdleLooksBeforePark ? Clock::time_point::max() : now + kIdleLook;
      continue;
    }
    idle_looks = 0;
    uint64_t run = run_;
    lock.unlock();
    uint64_t cpu = ReadClock(clock_);
    lock.lock();
    now = Clock::now();
    if (target_ == nullptr || run_ != run) {
      wake_at_ = now;  // the run ended meanwhile: look at what runs now
      continue;
    }
    uint64_t used = cpu > run_cpu_start_ ? cpu - run_cpu_start_ : 0;
    if (used >= budget_ns_) {
      target_->Kill(LimitKind::kCpu);  // under mu_: Exit cannot return and free the target meanwhile
      killed_run_ = run;
      wake_at_ = now + kTick;
      continue;
    }
    // The run cannot reach its budget before this much more wall time has passed.
    wake_at_ = now + std::max<Clock::duration>(std::chrono::nanoseconds(budget_ns_ - used), kMinStep);
  }
}

}  // namespace atl::isolates
