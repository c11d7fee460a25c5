#include "server/control_plane.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/log.h"
#include "base/strings.h"
#include "placement/placement.h"

namespace atl::server {
namespace {

// Ops per fenced transaction (etcd's --max-txn-ops defaults to 128; one is the comparison's).
constexpr size_t kOpsPerTxn = 64;

EtcdClient::Endpoint EndpointOf(const std::string& url) {
  return EtcdClient::ParseUrl(url).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379});
}

}  // namespace

ControlPlane::ControlPlane(uv_loop_t* loop, ControlOptions options)
    : loop_(loop),
      options_(std::move(options)),
      keys_(options_.prefix),
      etcd_(loop, EndpointOf(options_.etcd)),
      election_(loop, &etcd_, LeaderElection::Options{keys_.ControlLeader(), options_.name, options_.lease_ttl_s},
                [this](bool leader) { OnLeadership(leader); }) {
  uv_timer_init(loop, &pass_timer_);
  uv_timer_init(loop, &periodic_timer_);
  pass_timer_.data = periodic_timer_.data = this;
}

ControlPlane::~ControlPlane() { Shutdown(); }

void ControlPlane::Start() {
  base::LogLine(base::LogLevel::kInfo, "control: started")
      .Str("name", options_.name)
      .Str("etcd", options_.etcd)
      .Str("prefix", options_.prefix)
      .Int("replicas", options_.replicas)
      .Int("lease_ttl_s", options_.lease_ttl_s)
      .Emit();
  election_.Start();
}

void ControlPlane::Stop(std::function<void()> done) {
  stopped_ = true;
  uv_timer_stop(&pass_timer_);
  uv_timer_stop(&periodic_timer_);
  election_.Resign(std::move(done));
}

void ControlPlane::Shutdown() {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&pass_timer_))) return;
  stopped_ = true;
  election_.Shutdown();
  etcd_.Shutdown();
  uv_close(reinterpret_cast<uv_handle_t*>(&pass_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&periodic_timer_), nullptr);
}

void ControlPlane::OnLeadership(bool leader) {
  ++generation_;
  for (Trigger* t : {&nodes_watch_, &tenants_watch_}) {
    if (t->watch != nullptr) etcd_.CancelWatch(t->watch);
    t->watch = nullptr;
  }
  passing_ = again_ = false;
  if (!leader || stopped_) {
    uv_timer_stop(&pass_timer_);
    uv_timer_stop(&periodic_timer_);
    return;
  }
  uint64_t every = std::max<uint64_t>(100, options_.interval_ms);
  uv_timer_start(&periodic_timer_, [](uv_timer_t* t) { static_cast<ControlPlane*>(t->data)->Schedule(0); }, every, every);
  Schedule(0);
}

void ControlPlane::Schedule(uint64_t delay_ms) {
  if (stopped_ || !election_.leader()) return;
  if (passing_) {
    again_ = true;
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&pass_timer_)) && uv_timer_get_due_in(&pass_timer_) <= delay_ms) return;
  uv_timer_start(&pass_timer_, [](uv_timer_t* t) { static_cast<ControlPlane*>(t->data)->Pass(); }, delay_ms, 0);
}

void ControlPlane::Pass() {
  if (stopped_ || !election_.leader() || passing_) return;
  passing_ = true;
  again_ = false;
  pass_started_ms_ = uv_now(loop_);
  Read(std::make_shared<Snapshot>(), 0);
}

// Lists nodes/, load/, tenants/ and placements/ one after the other (step 0..3), then decides.
void ControlPlane::Read(std::shared_ptr<Snapshot> snapshot, int step) {
  if (step == 4) return Decide(*snapshot);
  const std::string prefixes[] = {keys_.Nodes(), keys_.Loads(), keys_.Tenants(), keys_.Placements()};
  const std::string& prefix = prefixes[step];
  etcd_.Range(prefix, config::PrefixEnd(prefix),
              [this, snapshot, step, generation = generation_](absl::StatusOr<EtcdClient::RangeResult> range) {
    if (stopped_ || generation != generation_) return;
    if (!range.ok()) {
      base::LogLine(base::LogLevel::kWarn, "control: cannot read the fleet").Str("error", base::ToStd(range.status().message())).Emit();
      return Finish(false);
    }
    if (step == 0) snapshot->revision = range->revision;
    std::vector<EtcdClient::KeyValue>* lists[] = {&snapshot->nodes, &snapshot->loads, &snapshot->tenants, &snapshot->placements};
    *lists[step] = std::move(range->kvs);
    Read(snapshot, step + 1);
  });
}

void ControlPlane::Decide(const Snapshot& snapshot) {
  // Watches from the first list's revision + 1: any change after it asks for another pass.
  if (nodes_watch_.watch == nullptr) {
    nodes_watch_.watch = etcd_.StartWatch(keys_.Nodes(), config::PrefixEnd(keys_.Nodes()), snapshot.revision + 1, &nodes_watch_);
  }
  if (tenants_watch_.watch == nullptr) {
    tenants_watch_.watch = etcd_.StartWatch(keys_.Tenants(), config::PrefixEnd(keys_.Tenants()), snapshot.revision + 1, &tenants_watch_);
  }

  std::vector<placement::Node> nodes;
  for (const EtcdClient::KeyValue& kv : snapshot.nodes) {
    std::string name(config::ClusterKeys::After(kv.key, keys_.Nodes()));
    if (!config::ValidClusterName(name)) continue;
    absl::StatusOr<config::NodeRecord> record = config::DecodeNodeRecord(kv.value);
    placement::Node node;
    node.name = name;
    node.cores = record.ok() && record->cores > 0 ? record->cores : 1;
    node.memory_mb = record.ok() && record->memory_mb > 0 ? static_cast<double>(record->memory_mb) : 1024;
    node.headroom = options_.headroom;
    nodes.push_back(std::move(node));
  }
  // Measured demand: a replica's memory is the most any node measured (each node holds all of
  // it); the request rate is the fleet's total.
  struct Demand {
    uint64_t memory_kb = 0;
    double rps = 0;
    bool measured = false;
  };
  absl::flat_hash_map<std::string, Demand> demand;
  for (const EtcdClient::KeyValue& kv : snapshot.loads) {
    absl::StatusOr<config::LoadRecord> record = config::DecodeLoadRecord(kv.value);
    if (!record.ok()) continue;
    for (const auto& [tenant, load] : record->tenants) {
      Demand& d = demand[tenant];
      d.memory_kb = std::max(d.memory_kb, load.memory_kb);
      d.rps += load.rps;
      d.measured = true;
    }
  }
  absl::flat_hash_map<std::string, config::PlacementRecord> current;
  for (const EtcdClient::KeyValue& kv : snapshot.placements) {
    std::string name(config::ClusterKeys::After(kv.key, keys_.Placements()));
    absl::StatusOr<config::PlacementRecord> record = config::DecodePlacementRecord(kv.value);
    current[name] = record.ok() ? *record : config::PlacementRecord{};
  }
  int k = std::max(1, std::min<int>(options_.replicas, static_cast<int>(nodes.size())));
  std::vector<placement::Tenant> tenants;
  absl::flat_hash_set<std::string> names;
  for (const EtcdClient::KeyValue& kv : snapshot.tenants) {
    std::string name(config::ClusterKeys::After(kv.key, keys_.Tenants()));
    if (!config::ValidClusterName(name) || !names.insert(name).second) continue;
    placement::Tenant tenant;
    tenant.name = name;
    auto d = demand.find(name);
    bool measured = d != demand.end() && d->second.measured && d->second.memory_kb > 0;
    tenant.memory_mb = static_cast<double>(measured ? d->second.memory_kb : kDefaultTenantMemoryKb) / 1024.0;
    tenant.request_rate = d != demand.end() ? d->second.rps : kDefaultTenantRps;
    tenant.replicas = k;
    if (auto c = current.find(name); c != current.end()) tenant.current = c->second.nodes;
    tenants.push_back(std::move(tenant));
  }

  std::vector<EtcdClient::TxnOp> ops;
  size_t changed = 0, deleted = 0, shortfalls = 0;
  if (nodes.empty()) {
    if (!warned_no_nodes_) base::LogLine(base::LogLevel::kWarn, "control: no node is alive; placements left as they are").Emit();
    warned_no_nodes_ = true;
  } else {
    warned_no_nodes_ = false;
    placement::Options place_options;
    place_options.request_rate_per_core = options_.rate_per_core;
    absl::StatusOr<placement::Placement> placed = placement::Place(nodes, tenants, place_options);
    if (!placed.ok()) {
      base::LogLine(base::LogLevel::kError, "control: placement failed").Str("error", base::ToStd(placed.status().message())).Emit();
      return Finish(false);
    }
    shortfalls = placed->shortfalls.size();
    // Logged when the number of tenants short of replicas changes, not on every pass.
    if (shortfalls != last_shortfalls_ && shortfalls > 0) {
      const placement::Shortfall& s = placed->shortfalls.front();
      base::LogLine(base::LogLevel::kWarn, "control: tenants could not get their replicas")
          .Int("tenants_short", static_cast<int64_t>(shortfalls))
          .Str("tenant", tenants[s.tenant].name)
          .Int("wanted", s.wanted)
          .Int("placed", s.placed)
          .Str("reason", s.reason)
          .Emit();
    } else if (shortfalls != last_shortfalls_) {
      base::LogLine(base::LogLevel::kInfo, "control: every tenant has its replicas again").Emit();
    }
    last_shortfalls_ = shortfalls;
    for (size_t i = 0; i < tenants.size(); ++i) {
      config::PlacementRecord record;
      for (int32_t n : placed->nodes[i]) record.nodes.push_back(nodes[n].name);
      std::sort(record.nodes.begin(), record.nodes.end());
      auto c = current.find(tenants[i].name);
      if (c != current.end()) {
        std::vector<std::string> before = c->second.nodes;
        std::sort(before.begin(), before.end());
        if (before == record.nodes) continue;  // unchanged: not written (whoever wrote it)
      }
      record.controller = options_.name;
      ops.push_back({false, keys_.Placement(tenants[i].name), config::EncodePlacementRecord(record), 0});
      ++changed;
    }
  }
  for (const auto& [name, record] : current) {
    if (names.contains(name)) continue;
    ops.push_back({true, keys_.Placement(name), "", 0});
    ++deleted;
  }
  if (ops.empty()) return Finish(true);

  // Fenced writes, kOpsPerTxn at a time, all in flight together.
  struct Batch {
    size_t left = 0;
    bool ok = true;
  };
  auto batch = std::make_shared<Batch>();
  batch->left = (ops.size() + kOpsPerTxn - 1) / kOpsPerTxn;
  uint64_t generation = generation_;
  size_t alive = nodes.size(), tenant_count = tenants.size();
  for (size_t start = 0; start < ops.size(); start += kOpsPerTxn) {
    std::vector<EtcdClient::TxnOp> chunk(ops.begin() + start, ops.begin() + std::min(ops.size(), start + kOpsPerTxn));
    election_.FencedTxn(std::move(chunk), [=, this](absl::StatusOr<bool> written) {
      if (!written.ok() || !*written) batch->ok = false;
      if (--batch->left > 0 || stopped_ || generation != generation_) return;
      if (!batch->ok) {
        base::LogLine(base::LogLevel::kWarn, "control: placements not written")
            .Str("error", written.ok() ? "not the leader" : base::ToStd(written.status().message()))
            .Emit();
        return Finish(false);
      }
      base::LogLine(base::LogLevel::kInfo, "control: placements written")
          .Str("name", options_.name)
          .Int("changed", static_cast<int64_t>(changed))
          .Int("deleted", static_cast<int64_t>(deleted))
          .Int("tenants", static_cast<int64_t>(tenant_count))
          .Int("nodes", static_cast<int64_t>(alive))
          .Int("short", static_cast<int64_t>(shortfalls))
          .Int("ms", static_cast<int64_t>(uv_now(loop_) - pass_started_ms_))
          .Emit();
      Finish(true);
    });
  }
}

void ControlPlane::Finish(bool ok) {
  passing_ = false;
  if (stopped_ || !election_.leader()) return;
  if (!ok) return Schedule(500);
  if (again_) Schedule(kDebounceMs);
}

namespace {

struct ControlSignals {
  uv_signal_t sigint, sigterm;
  ControlPlane* control = nullptr;
  bool stopping = false;
};

void OnStopSignal(uv_signal_t* handle, int signum) {
  auto* s = static_cast<ControlSignals*>(handle->data);
  auto close = [s] {
    s->control->Shutdown();
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm), nullptr);
  };
  if (s->stopping) return close();  // a second signal: at once
  s->stopping = true;
  base::LogLine(base::LogLevel::kInfo, "control: shutting down").Int("signal", signum).Emit();
  s->control->Stop(close);
}

}  // namespace

int RunControl(const ControlOptions& options) {
  if (absl::StatusOr<EtcdClient::Endpoint> endpoint = EtcdClient::ParseUrl(options.etcd); !endpoint.ok()) {
    base::LogLine(base::LogLevel::kError, base::ToStd(endpoint.status().message())).Emit();
    return 2;
  }
  ControlOptions resolved = options;
  if (resolved.name.empty()) resolved.name = base::StrCat("control-", getpid());
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    ControlPlane control(&loop, resolved);
    ControlSignals signals;
    signals.control = &control;
    uv_signal_init(&loop, &signals.sigint);
    uv_signal_init(&loop, &signals.sigterm);
    signals.sigint.data = signals.sigterm.data = &signals;
    uv_signal_start(&signals.sigint, OnStopSignal, SIGINT);
    uv_signal_start(&signals.sigterm, OnStopSignal, SIGTERM);
    control.Start();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  base::FlushBufferedLogs();
  return 0;
}

}  // namespace atl::server
