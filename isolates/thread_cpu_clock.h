#pragma once
// A thread's CPU clock (clock_gettime on the id from pthread_getcpuclockid): readable from any
// thread of the process, a system call per read (~2 us on the benchmark VM). Used by the CPU
// watchdog (cpu_watchdog.h) and by a killed isolate's overrun (tenant_isolate.h).
//
//   clockid_t clock = CurrentThreadCpuClock();   // on the thread to be measured
//   int64_t ns = ReadCpuClockNs(clock);          // from any thread; -1 if it cannot be read

#include <pthread.h>

#include <cstdint>
#include <ctime>

namespace atl::isolates {

// The calling thread's CPU clock; -1 if there is none.
inline clockid_t CurrentThreadCpuClock() {
  clockid_t clock;
  return pthread_getcpuclockid(pthread_self(), &clock) == 0 ? clock : clockid_t{-1};
}

// Nanoseconds of CPU the clock's thread has used; -1 if it cannot be read.
inline int64_t ReadCpuClockNs(clockid_t clock) {
  timespec ts{};
  if (clock == -1 || clock_gettime(clock, &ts) != 0) return -1;
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace atl::isolates
