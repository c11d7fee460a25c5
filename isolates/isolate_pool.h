#pragma once
// Blank tenant isolates made ahead of time from the startup snapshot, on a thread of the pool's
// own, so that a cold tenant's first request does not pay Isolate::New (~1.4 ms), nor (with
// IsolateBlueprint::prepare_context) deserializing its first context, and nothing on the event
// loop waits while the pool refills. Take() hands one out (bound to the calling
// thread) in microseconds, or makes one on the spot when the pool is empty. Released isolates
// are disposed on the pool's thread too, and their memory is given back to the OS (glibc keeps
// it otherwise).
//
//   IsolatePool pool(blueprint, /*warm=*/4);
//   std::unique_ptr<TenantIsolate> isolate = pool.Take();
//   ...
//   pool.Release(std::move(isolate));

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/latency_histogram.h"
#include "isolates/tenant_isolate.h"

namespace atl::isolates {

class IsolatePool {
 public:
  struct Stats {
    uint64_t created = 0;      // isolates made, ahead of time or on demand
    uint64_t taken_warm = 0;
    uint64_t taken_cold = 0;   // the pool was empty: made on the caller's thread
    uint64_t released = 0;
  };

  IsolatePool(const IsolateBlueprint& blueprint, uint32_t warm);
  ~IsolatePool();
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  std::unique_ptr<TenantIsolate> Take();
  void Release(std::unique_ptr<TenantIsolate> isolate);
  // How many blank isolates to keep ready from now on (more are made in the background; spares
  // past a lowered count are disposed of).
  void SetWarm(uint32_t warm);

  Stats stats() const;
  size_t ready() const;  // blank isolates ready now
  // Time Take() took; read on the thread that calls Take().
  const base::LatencyHistogram& take_latency() const { return take_latency_; }

 private:
  void Run();

  const IsolateBlueprint blueprint_;
  uint32_t warm_;                                       // guarded by mu_
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<TenantIsolate>> ready_;   // guarded by mu_
  std::deque<std::unique_ptr<TenantIsolate>> doomed_;   // guarded by mu_
  Stats stats_;                                         // guarded by mu_
  bool stop_ = false;
  base::LatencyHistogram take_latency_;
  std::thread thread_;
};

}  // namespace atl::isolates
