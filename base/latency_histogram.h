#pragma once
// Latencies in nanoseconds, kept in log-linear buckets (16 per power of two, so a percentile is
// within ~6% of the true value) in fixed memory: recording is an array increment.
//
//   LatencyHistogram h;
//   h.Record(1200);
//   double p99_us = h.Percentile(0.99) / 1000.0;

#include <array>
#include <cstdint>

namespace atl::base {

class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
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
