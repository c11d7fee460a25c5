#pragma once
// Enforces `cpu_ms`: a thread that watches the CPU clock of the thread running JS and kills the
// tenant isolate whose run has used more than its budget (503 cpu_limit). The JS thread only
// marks entry and exit (two uncontended mutex sections, no system call); the watchdog reads
// the JS thread's CPU clock every millisecond while a run is in progress and sleeps otherwise.
// This stops `while(true){}`, catastrophic regexes and endless microtask chains alike.
//
//   CpuWatchdog watchdog;                 // constructed on the JS thread
//   watchdog.Enter(&tenant_isolate, 50);  // before calling into JS
//   ... JS ...
//   watchdog.Exit();

#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <thread>

#include "isolates/tenant_isolate.h"

namespace atl::isolates {

class CpuWatchdog {
 public:
  CpuWatchdog();   // watches the calling thread
  ~CpuWatchdog();
  CpuWatchdog(const CpuWatchdog&) = delete;
  CpuWatchdog& operator=(const CpuWatchdog&) = delete;

  // A run of JS in `target` starts; it may use `budget_ms` of CPU before the isolate is killed.
  void Enter(TenantIsolate* target, uint32_t budget_ms);
  void Exit();

  // CPU time the watched thread has used, in nanoseconds.
  uint64_t ThreadCpuNanos() const;

 private:
  void Run();

  clockid_t clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  TenantIsolate* target_ = nullptr;  // guarded by mu_; non-null while a run is in progress
  uint64_t budget_ns_ = 0;
  uint64_t run_ = 0;                 // increments at every Enter
  bool parked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace atl::isolates
