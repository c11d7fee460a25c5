#include "server/load_reporter.h"

#include <algorithm>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {

LoadReporter::LoadReporter(uv_loop_t* loop, const config::ClusterConfig& cluster, config::NodeRecord self, Collect collect,
                           std::function<int64_t()> lease, uint64_t every_ms)
    : loop_(loop),
      keys_(cluster.prefix),
      node_(cluster.node_name),
      self_(std::move(self)),
      collect_(std::move(collect)),
      lease_(std::move(lease)),
      every_ms_(every_ms),
      etcd_(loop, EtcdClient::ParseUrl(cluster.etcd).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379})) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

LoadReporter::~LoadReporter() { Shutdown(); }

void LoadReporter::Start() {
  last_ms_ = uv_now(loop_);
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<LoadReporter*>(t->data)->Tick(); }, every_ms_, every_ms_);
}

void LoadReporter::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  etcd_.Shutdown();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void LoadReporter::Tick() {
  if (stopped_ || busy_) return;
  if (lease_() == 0) return;  // not registered (yet, or any more): nothing to hang the key on
  busy_ = true;
  collect_([this](Stats stats) {
    if (stopped_) return;
    int64_t lease = lease_();
    if (lease == 0) {
      busy_ = false;
      return;
    }
    Report(stats, lease);
  });
}

void LoadReporter::Report(const Stats& stats, int64_t lease) {
  uint64_t now = uv_now(loop_);
  double seconds = std::max<double>(0.001, static_cast<double>(now - last_ms_) / 1000.0);
  last_ms_ = now;
  config::LoadRecord record;
  record.cores = self_.cores;
  record.memory_mb = self_.memory_mb;
  absl::flat_hash_map<std::string, uint64_t> requests;
  for (const auto& [name, s] : stats) {
    requests[name] = s.requests;
    if (s.heap_bytes > 0) memory_kb_[name] = s.heap_bytes >> 10;
    auto memory = memory_kb_.find(name);
    if (memory == memory_kb_.end() && s.requests == 0) continue;  // never ran here
    // A restarted worker's counter starts again from 0: no negative rates.
    auto before = last_requests_.find(name);
    uint64_t previous = before != last_requests_.end() ? before->second : 0;
    double rps = s.requests > previous ? static_cast<double>(s.requests - previous) / seconds : 0;
    record.tenants.emplace_back(name, config::TenantLoad{memory != memory_kb_.end() ? memory->second : 0, rps});
  }
  std::sort(record.tenants.begin(), record.tenants.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Tenants gone from this node are forgotten.
  for (auto it = memory_kb_.begin(); it != memory_kb_.end();) {
    if (!stats.contains(it->first)) memory_kb_.erase(it++);
    else ++it;
  }
  last_requests_ = std::move(requests);
  etcd_.Put(keys_.Load(node_), config::EncodeLoadRecord(record), lease, [this](absl::StatusOr<int64_t> put) {
    busy_ = false;
    if (!put.ok()) {
      base::LogLine(base::LogLevel::kDebug, "cluster: cannot write the load report").Str("error", base::ToStd(put.status().message())).Emit();
    }
  });
}

}  // namespace atl::server
