#pragma once
// Enforces `cpu_ms` within a run of JS: a thread that watches the CPU clock of the thread running
// JS and kills the tenant isolate whose run has used more than its budget (503 cpu_limit). This
// stops `while(true){}`, catastrophic regexes and endless microtask chains alike.
//
// Costs nothing per run while runs are short: the JS thread marks entry and exit (two
// uncontended mutex sections, no system call), and the watchdog does not tick. It sleeps until
// the earliest wall time at which the run in progress could have used its budget (CPU time never
// runs faster than the wall clock), reads the JS thread's CPU clock then, and kills or sleeps for
// what is left; with no run in progress it looks every 10 ms for 50 ms, then parks. Enter wakes
// it only when the new run's deadline comes before the watchdog's next look (a small remaining
// budget, or the first run after it parked). (Reading a thread's CPU clock is a system call, ~2 us
// on the benchmark VM; the 1 ms tick this replaces was a wake-up and two context switches on the
// JS thread's core, 1,000 times a second.)
//
// What a run costs (Exit's answer): a run shorter than a tick (1 ms) is charged its wall time:
// its CPU time unless the thread was preempted during it, and never more than a tick. A longer
// run is charged the CPU the JS thread used since its start, capped at the run's wall time,
// counted from a reference reading of the CPU clock that the JS thread refreshes at Enter when it
// is a tick old or more (at most one system call per tick of activity) plus the wall time between
// that reading and the run's start: an upper bound of the clock at the start (the thread cannot
// have used more CPU than wall time meanwhile). So the count never includes work before the run
// nor the time the thread waited, and may miss up to a tick of the run. The kill is never early
// (it comes at most a tick or two of CPU late); a run it killed is charged at least its budget. Summing runs into a request's budget is
// the caller's job (isolates/cpu_accounts.h).
//
//   CpuWatchdog watchdog;                              // constructed on the JS thread
//   auto start = CpuWatchdog::Clock::now();
//   watchdog.Enter(&tenant_isolate, 50'000'000, start);  // before calling into JS
//   ... JS ...
//   uint64_t used_ns = watchdog.Exit(CpuWatchdog::Clock::now());

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <thread>

#include "isolates/tenant_isolate.h"

namespace atl::isolates {

class CpuWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  CpuWatchdog();   // watches the calling thread
  ~CpuWatchdog();
  CpuWatchdog(const CpuWatchdog&) = delete;
  CpuWatchdog& operator=(const CpuWatchdog&) = delete;

  // A run of JS in `target` started at `start`; it may use `budget_ns` of CPU before the isolate
  // is killed.
  void Enter(TenantIsolate* target, uint64_t budget_ns, Clock::time_point start);
  // The run ended at `end`; returns what it costs (ns): its wall time, or less if it was long.
  uint64_t Exit(Clock::time_point end);

  // CPU time the watched thread has used, in nanoseconds (a system call).
  uint64_t ThreadCpuNanos() const;

  // How often the watchdog thread has woken up (tests: it must not tick while runs are short).
  uint64_t wakeups() const;

 private:
  void Run();

  clockid_t clock_;
  // The JS thread's reference reading of its own CPU clock, and the wall time of it (JS thread
  // only; copied into the run under mu_ at Enter).
  uint64_t ref_cpu_ = 0;
  Clock::time_point ref_at_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  TenantIsolate* target_ = nullptr;  // guarded by mu_; non-null while a run is in progress
  uint64_t budget_ns_ = 0;
  uint64_t run_ = 0;                 // increments at every Enter
  Clock::time_point started_;        // the run's start, as the JS thread saw it
  uint64_t run_cpu_start_ = 0;       // the reference reading plus the wall time before the run: at
                                     // least the thread's CPU clock at the run's start
  Clock::time_point wake_at_;        // the watchdog's next look (max: parked)
  uint64_t killed_run_ = 0;          // the last run the watchdog killed
  uint64_t wakeups_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace atl::isolates
