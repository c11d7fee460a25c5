#include "server/metrics.h"

#include <gtest/gtest.h>

#include <limits>

#include "base/json_writer.h"

#include "server/tenant_stats.h"

namespace atl::server {
namespace {

TEST(SumPrometheusTexts, AddsSeriesAndKeepsFamiliesTogether) {
  std::string a =
      "# HELP atoll_requests_total Requests.\n# TYPE atoll_requests_total counter\n"
      "atoll_requests_total{tenant=\"x\",status=\"200\"} 60\n"
      "# HELP atoll_request_duration_seconds Time.\n# TYPE atoll_request_duration_seconds histogram\n"
      "atoll_request_duration_seconds_bucket{le=\"0.001\"} 50\natoll_request_duration_seconds_bucket{le=\"+Inf\"} 60\n"
      "atoll_request_duration_seconds_sum 0.125\natoll_request_duration_seconds_count 60\n";
  std::string b =
      "# HELP atoll_requests_total Requests.\n# TYPE atoll_requests_total counter\n"
      "atoll_requests_total{tenant=\"x\",status=\"200\"} 40\n"
      "atoll_requests_total{tenant=\"y\",status=\"503\"} 2\n"
      "# HELP atoll_request_duration_seconds Time.\n# TYPE atoll_request_duration_seconds histogram\n"
      "atoll_request_duration_seconds_bucket{le=\"0.001\"} 41\natoll_request_duration_seconds_bucket{le=\"+Inf\"} 42\n"
      "atoll_request_duration_seconds_sum 0.5\natoll_request_duration_seconds_count 42\n";
  EXPECT_EQ(SumPrometheusTexts({a, b}),
            "# HELP atoll_requests_total Requests.\n# TYPE atoll_requests_total counter\n"
            "atoll_requests_total{tenant=\"x\",status=\"200\"} 100\n"
            "atoll_requests_total{tenant=\"y\",status=\"503\"} 2\n"  // only in b: still with its family
            "# HELP atoll_request_duration_seconds Time.\n# TYPE atoll_request_duration_seconds histogram\n"
            "atoll_request_duration_seconds_bucket{le=\"0.001\"} 91\natoll_request_duration_seconds_bucket{le=\"+Inf\"} 102\n"
            "atoll_request_duration_seconds_sum 0.625\natoll_request_duration_seconds_count 102\n");
  EXPECT_EQ(SumPrometheusTexts({a}), a) << "one worker: its text unchanged";
  EXPECT_EQ(SumPrometheusTexts({}), "");
}

TEST(SumPrometheusTexts, SkipsMalformedLines) {
  EXPECT_EQ(SumPrometheusTexts({"x 1\nnonsense\ny{a=\"b\"} one\n", "x 2\n"}), "x 3\n");
}

TEST(TenantStats, SumOverWorkers) {
  TenantStats one;
  one.requests = 10;
  one.errors = 1;
  one.cpu_kills = 2;
  one.isolates = 1;
  one.heap_bytes = 1000;
  one.cpu_ms = 1.5;
  TenantStats two = one;
  two.requests = 5;
  two.wall_kills = 3;
  absl::flat_hash_map<std::string, TenantStats> sum;
  AddTenantStats(SerializeTenantStats({{"a", one}, {"b", two}}), &sum);
  AddTenantStats(SerializeTenantStats({{"a", two}}), &sum);
  AddTenantStats("a 1 2 3\nbroken line\n", &sum);  // ignored
  ASSERT_EQ(sum.size(), 2u);
  EXPECT_EQ(sum["a"].requests, 15u);
  EXPECT_EQ(sum["a"].isolates, 2u);
  EXPECT_EQ(sum["a"].wall_kills, 3u);
  EXPECT_DOUBLE_EQ(sum["a"].cpu_ms, 3.0);
  EXPECT_EQ(sum["b"].heap_bytes, 1000u);
  EXPECT_EQ(sum["a"].JsonMembers(),
            "\"requests\":15,\"errors\":2,\"limit_kills\":{\"cpu\":4,\"memory\":0,\"wall\":3},\"isolates\":2,"
            "\"heap_bytes\":2000,\"cpu_ms\":3.000");
}

// The access line built in place is the line LogLine would write with the same fields, also for
// values that need escaping, bytes that are not UTF-8, and a duration that is not finite.
TEST(AccessLine, SameTextAsLogLineFields) {
  struct Case {
    std::string tenant, method, path;
    int status;
    uint64_t bytes;
    double seconds;
  };
  const Case cases[] = {
      {"bench", "GET", "/", 200, 18, 0.000123456},
      {"t\"q\\", "PATCH", "/a b/\x01\x7f\n\t\xff\xc3\xa9", 0, 0, 12.5},
      {"", "", "", 599, 1ull << 40, std::numeric_limits<double>::infinity()},
      {"x", "GET", "/p", -1, 7, -0.0000004},
  };
  for (const Case& c : cases) {
    RequestRecord record{3, c.method, c.path, c.status, c.bytes, c.seconds};
    std::string expected = "{\"first\":1";
    atl::base::JsonWriter writer(&expected);
    writer.ContinueObject();
    writer.Key("tenant");
    writer.String(c.tenant);
    writer.Key("method");
    writer.String(c.method);
    writer.Key("path");
    writer.String(c.path);
    writer.Key("status");
    writer.Int(c.status);
    writer.Key("ms");
    writer.Double(c.seconds * 1000.0);
    writer.Key("bytes");
    writer.Int(static_cast<int64_t>(c.bytes));
    writer.Key("worker");
    writer.Int(4242);
    writer.EndObject();
    expected.push_back('\n');
    std::string got = "{\"first\":1";
    AppendAccessFields(c.tenant, record, 4242, &got);
    EXPECT_EQ(got, expected);
  }
}

}  // namespace
}  // namespace atl::server
