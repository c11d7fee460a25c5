#include "base/latency_histogram.h"

#include <bit>

namespace atl::base {

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < (1u << kSubBits)) return static_cast<int>(nanos);
  int exponent = std::bit_width(nanos) - 1;  // >= kSubBits
  int shift = exponent - kSubBits;
  int sub = static_cast<int>((nanos >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

uint64_t LatencyHistogram::UpperBoundOf(int bucket) {
  int major = bucket >> kSubBits;
  uint64_t sub = bucket & ((1 << kSubBits) - 1);
  if (major == 0) return sub;
  int shift = major - 1;
  return (((uint64_t{1} << kSubBits) | sub) << shift) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++buckets_[BucketOf(nanos)];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
}

uint64_t LatencyHistogram::Percentile(double fraction) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(fraction * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen > rank) return UpperBoundOf(i);
  }
  return UpperBoundOf(kBuckets - 1);
}

}  // namespace atl::base
