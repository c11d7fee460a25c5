#pragma once
// Enforces `cpu_ms` within a run of JS: a thread that watches the CPU clock of the thread running
// JS and kills the tenant isolate whose run has used more than its budget (503 cpu_limit). The JS
// thread only marks entry and exit (two uncontended mutex sections, no system call for short
// runs); the watchdog reads the JS thread's CPU clock every millisecond while a run is in progress
// and for 20 ticks after the last run ended (so while requests keep coming it never parks, and
// Enter never pays a futex wake and a context switch), then parks until the next Enter. This stops `while(true){}`, catastrophic regexes and endless microtask
// chains alike. What a run costs (Exit's answer) is its wall time (the CPU clock is a system
// call; two per run would cost more than a small request's JS), corrected where the watchdog saw
// the run: the CPU the thread used from the watchdog's first sample of the run on, plus the wall
// time before that sample, which counts for at most a tick (1 ms) like the wall time of a run the
// watchdog never sampled: a JS thread that was preempted is not charged for the wait, and a run
// sampled late (a loaded machine) is not charged for the watchdog's delay. Likewise the CPU
// between two samples (or the last one and the run's end) counts for at most 2 ticks, for the
// kill as for the charge: a longer gap means the watchdog could not run either, and a stalled
// vCPU (a host that reports no steal time) shows up as CPU time of whatever thread it ran. A ticking watchdog
// samples a short run only if a tick falls inside it (a woken one sampled it at its start): such a
// run is charged its wall time, capped at a tick, which is its CPU time unless the thread was
// preempted during it; a run of a tick or more is sampled whether the watchdog ticked or was woken. Summing runs into a
// request's budget is the caller's job (isolates/cpu_accounts.h).
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
  // The run ended at `end`; returns what it costs (ns): its wall time, or less if it was sampled.
  uint64_t Exit(Clock::time_point end);

  // CPU time the watched thread has used, in nanoseconds (a system call).
  uint64_t ThreadCpuNanos() const;

 private:
  void Run();

  clockid_t clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  TenantIsolate* target_ = nullptr;  // guarded by mu_; non-null while a run is in progress
  uint64_t budget_ns_ = 0;
  uint64_t run_ = 0;                 // increments at every Enter
  Clock::time_point started_;        // the run's start, as the JS thread saw it
  uint64_t sampled_run_ = 0;         // the run of the samples below (0: none yet)
  Clock::time_point sampled_at_;     // the wall clock at the first sample of the run
  uint64_t last_cpu_ = 0;            // the thread's CPU clock at its latest sample
  uint64_t counted_ns_ = 0;          // CPU between its samples, each gap counted up to 2 ticks
  bool parked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace atl::isolates
