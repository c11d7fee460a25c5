#pragma once
// Latencies in nanoseconds, kept in log-linear buckets (16 per power of two, so a percentile is
// within ~6% of the true value) in fixed memory: recording is an array increment.
//
//   LatencyHistogram h;
//   h.Record(1200);
//   double p99_us = h.Percentile(0.99) / 1000.0;

#include <array>
#include <chrono>
#include <cstdint>

namespace atl::base {

// Nanoseconds from `start` to now on the steady clock.
inline uint64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
  // Records the time from `start` to now.
  void RecordSince(std::chrono::steady_clock::time_point start) { Record(NanosSince(start)); }
  // The value below which `fraction` (0..1) of the samples fall; 0 without samples.
  uint64_t Percentile(double fraction) const;
  uint64_t count() const { return count_; }
  // Adds every sample of `other`.
  void Merge(const LatencyHistogram& other);

 private:
  static constexpr int kSubBits = 4;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int BucketOf(uint64_t nanos);
  static uint64_t UpperBoundOf(int bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

}  // namespace atl::base
