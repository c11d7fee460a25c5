#pragma once
// What one worker process counts about the requests it served (SPEC §5 `GET /metrics`) and its
// access log: one JSON line per request on stderr. Counters are plain integers of this process;
// the admin API sums what every worker renders (SumPrometheusTexts).
//
//   Metrics metrics(&tenant_names, /*access_log=*/true);
//   server.set_observer(&metrics);
//   metrics.RenderRequests(&text);   // atoll_requests_total, atoll_request_duration_seconds

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/http_server.h"

namespace atl::server {

// What the access log and the per-tenant counters know of one tenant.
struct TenantRequestStats {
  uint64_t requests = 0;
  uint64_t errors = 0;   // status 500 and over, and requests never answered
};

class Metrics : public RequestObserver {
 public:
  // `tenant_name(target)` names a target of the request sink ("" for -1: no route).
  Metrics(std::function<std::string_view(int32_t)> tenant_name, bool access_log);

  void OnRequestDone(const RequestRecord& record) override;
  // Which targets' series RenderRequests shows (default: all): a deleted tenant's are left out,
  // so that /metrics does not keep every name ever deployed; counts stay, and a tenant deployed
  // again under the same name continues them.
  void set_exported(std::function<bool(int32_t)> exported) { exported_ = std::move(exported); }

  // Appends atoll_requests_total{tenant,status} and atoll_request_duration_seconds (and
  // atoll_forwards_total{outcome} once a forward was counted).
  void RenderRequests(std::string* out) const;
  // Cluster mode (cluster_forward.h): a request sent to its placed node, served here after that
  // failed before an answer, or answered 503 after it (its body could not be replayed).
  enum class Forward { kForwarded, kFallback, kFailed };
  void CountForward(Forward outcome) { ++forwards_[static_cast<size_t>(outcome)]; }
  TenantRequestStats StatsOf(int32_t target) const;

  // Histogram bucket bounds, in seconds (Prometheus' defaults).
  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5};

 private:
  std::function<std::string_view(int32_t)> tenant_name_;
  std::function<bool(int32_t)> exported_;
  bool access_log_;
  int pid_;
  // (target, status) -> count; target -1 is "no route".
  absl::flat_hash_map<std::pair<int32_t, int>, uint64_t> requests_;
  absl::flat_hash_map<int32_t, TenantRequestStats> per_tenant_;
  std::array<uint64_t, kBuckets.size() + 1> duration_buckets_{};  // the last one is +Inf
  double duration_sum_ = 0;
  uint64_t duration_count_ = 0;
  std::array<uint64_t, 3> forwards_{};
};

// The sum of several worker processes' metrics texts: the samples of one series (name and
// labels) are added up; each family keeps its HELP and TYPE lines once and its samples together,
// in the order first seen.
std::string SumPrometheusTexts(const std::vector<std::string_view>& texts);

// The access log line's fields after LogLine's first ones, `,"tenant":...,"worker":PID}` and a
// newline: what LogLine's Str/Int/Num would write, built in place (Metrics::OnRequestDone).
void AppendAccessFields(std::string_view tenant, const RequestRecord& record, int pid, std::string* out);

// Appends one Prometheus sample line: NAME{k="v",...} VALUE.
void AppendSample(std::string* out, std::string_view name,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> labels, double value);

}  // namespace atl::server
