#include "base/latency_histogram.h"

#include <gtest/gtest.h>

namespace atl::base {
namespace {

TEST(LatencyHistogram, EmptyIsZero) { EXPECT_EQ(LatencyHistogram().Percentile(0.5), 0u); }

TEST(LatencyHistogram, PercentilesWithinBucketError) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Record(v * 1000);  // 1 µs .. 10 ms
  EXPECT_EQ(h.count(), 10000u);
  auto near = [](uint64_t got, double want) { return got >= want * 0.99 && got <= want * 1.07; };
  EXPECT_TRUE(near(h.Percentile(0.5), 5'000'000)) << h.Percentile(0.5);
  EXPECT_TRUE(near(h.Percentile(0.99), 9'900'000)) << h.Percentile(0.99);
  EXPECT_TRUE(near(h.Percentile(1.0), 10'000'000)) << h.Percentile(1.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.Record(7);
  h.Record(12);
  EXPECT_EQ(h.Percentile(0.5), 7u);
  EXPECT_EQ(h.Percentile(1.0), 12u);
}

TEST(LatencyHistogram, HugeValuesDoNotOverflow) {
  LatencyHistogram h;
  h.Record(~uint64_t{0});
  EXPECT_GT(h.Percentile(0.5), uint64_t{1} << 63);
}

}  // namespace
}  // namespace atl::base
