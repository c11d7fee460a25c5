#pragma once
// Blank tenant isolates made ahead of time from the startup snapshot, so that a cold tenant's
// first request does not pay Isolate::New (~1.4 ms). The owner calls Refill() when the event
// loop is idle; Take() hands one out in microseconds, or makes one on the spot when the pool is
// empty. Released isolates are disposed, and their memory is given back to the OS at the next
// Refill (glibc keeps it otherwise).

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/latency_histogram.h"
#include "isolates/tenant_isolate.h"

namespace atl::isolates {

class IsolatePool {
 public:
  struct Stats {
    uint64_t created = 0;      // isolates made, warm or on demand
    uint64_t taken_warm = 0;
    uint64_t taken_cold = 0;   // the pool was empty: made on the request path
    uint64_t released = 0;
  };

  IsolatePool(const IsolateBlueprint& blueprint, uint32_t warm);
  ~IsolatePool();

  std::unique_ptr<TenantIsolate> Take();
  void Release(std::unique_ptr<TenantIsolate> isolate);

  // Makes isolates until `warm` are ready or `budget` has passed; trims freed memory first.
  void Refill(std::chrono::microseconds budget);
  bool NeedsRefill() const { return ready_.size() < warm_ || trim_pending_; }

  const Stats& stats() const { return stats_; }
  const base::LatencyHistogram& take_latency() const { return take_latency_; }
  size_t ready() const { return ready_.size(); }

 private:
  IsolateBlueprint blueprint_;
  uint32_t warm_;
  std::vector<std::unique_ptr<TenantIsolate>> ready_;
  bool trim_pending_ = false;
  Stats stats_;
  base::LatencyHistogram take_latency_;
};

}  // namespace atl::isolates
