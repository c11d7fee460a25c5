#include "server/cluster_node.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "base/files.h"
#include "base/log.h"
#include "base/strings.h"

namespace atl::server {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

namespace {
constexpr uint64_t kPumpMs = 250;
constexpr uint64_t kBundleRetryMs = 1000;
}  // namespace

ClusterNode::ClusterNode(uv_loop_t* loop, const config::ClusterConfig& cluster, config::NodeRecord self,
                         std::filesystem::path bundle_dir, ClusterApplier* applier)
    : loop_(loop),
      cluster_(cluster),
      keys_(cluster.prefix),
      self_(std::move(self)),
      bundle_dir_(std::move(bundle_dir)),
      applier_(applier),
      etcd_(loop, EtcdClient::ParseUrl(cluster.etcd).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379})) {
  uv_timer_init(loop, &keepalive_timer_);
  uv_timer_init(loop, &pump_timer_);
  keepalive_timer_.data = pump_timer_.data = this;
}

ClusterNode::~ClusterNode() { etcd_.Shutdown(); }

void ClusterNode::Start() {
  std::error_code ec;
  std::filesystem::create_directories(bundle_dir_, ec);
  Register();
  uint64_t every = std::max<uint64_t>(500, cluster_.lease_ttl_s * 1000ull / 3);
  uv_timer_start(&keepalive_timer_, [](uv_timer_t* t) { static_cast<ClusterNode*>(t->data)->KeepAlive(); }, every, every);
  uv_timer_start(&pump_timer_, [](uv_timer_t* t) { static_cast<ClusterNode*>(t->data)->Pump(); }, 0, kPumpMs);
}

void ClusterNode::Leave() {
  if (stopped_) return;
  stopped_ = true;
  uv_timer_stop(&keepalive_timer_);
  uv_timer_stop(&pump_timer_);
  if (watch_ != nullptr) etcd_.CancelWatch(watch_);
  watch_ = nullptr;
  if (lease_ != 0) {
    leaving_ = true;
    etcd_.LeaseRevoke(lease_, [this](absl::StatusOr<int64_t>) { leaving_ = false; });
  }
  lease_ = 0;
}

void ClusterNode::Shutdown() {
  stopped_ = true;
  leaving_ = false;
  etcd_.Shutdown();
  for (uv_timer_t* t : {&keepalive_timer_, &pump_timer_}) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(t))) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }
}

void ClusterNode::Log(const char* message, const absl::Status& error) const {
  base::LogLine(base::LogLevel::kWarn, message).Str("node", cluster_.node_name).Str("error", base::ToStd(error.message())).Emit();
}

void ClusterNode::Register() {
  if (lease_busy_ || stopped_) return;
  lease_busy_ = true;
  etcd_.LeaseGrant(cluster_.lease_ttl_s, [this](absl::StatusOr<int64_t> id) {
    if (!id.ok()) {
      lease_busy_ = false;
      registered_ = false;
      return Log("cluster: cannot register the node", id.status());
    }
    lease_ = *id;
    etcd_.Put(keys_.Node(cluster_.node_name), config::EncodeNodeRecord(self_), lease_, [this](absl::StatusOr<int64_t> put) {
      lease_busy_ = false;
      registered_ = put.ok();
      if (!put.ok()) {
        lease_ = 0;
        return Log("cluster: cannot register the node", put.status());
      }
      base::LogLine(base::LogLevel::kInfo, "cluster: node registered")
          .Str("node", cluster_.node_name)
          .Str("advertise", self_.advertise)
          .Int("lease_ttl_s", cluster_.lease_ttl_s)
          .Emit();
    });
  });
}

void ClusterNode::KeepAlive() {
  if (lease_busy_ || stopped_) return;
  if (lease_ == 0) return Register();
  lease_busy_ = true;
  etcd_.LeaseKeepAlive(lease_, [this](absl::StatusOr<int64_t> ttl) {
    lease_busy_ = false;
    if (ttl.ok()) {
      registered_ = true;
      return;
    }
    registered_ = false;
    Log("cluster: lease keepalive failed", ttl.status());
    if (absl::IsNotFound(ttl.status())) {  // expired (etcd unreachable for longer than the TTL)
      lease_ = 0;
      Register();
    }
  });
}

void ClusterNode::Pump() {
  if (stopped_) return;
  if (!listing_ && !applying_ && watch_ == nullptr) {
    if (need_list_ || applied_ == 0) return List();
    Watch(applied_ + 1);
  }
  Next();
}

void ClusterNode::List() {
  listing_ = true;
  queue_.clear();
  // What loaded/NODE/ says already: a restarted node does not write it again for every tenant.
  etcd_.Range(keys_.LoadedOf(cluster_.node_name), config::PrefixEnd(keys_.LoadedOf(cluster_.node_name)),
              [this](absl::StatusOr<EtcdClient::RangeResult> loaded) {
    if (stopped_) return;
    if (!loaded.ok()) {
      listing_ = false;
      return Log("cluster: cannot read what this node reported", loaded.status());
    }
    reported_.clear();
    for (const EtcdClient::KeyValue& kv : loaded->kvs) {
      reported_[std::string(config::ClusterKeys::After(kv.key, keys_.LoadedOf(cluster_.node_name)))] = std::strtoll(kv.value.c_str(), nullptr, 10);
    }
    etcd_.Range(keys_.Tenants(), config::PrefixEnd(keys_.Tenants()), [this](absl::StatusOr<EtcdClient::RangeResult> range) {
      listing_ = false;
      if (stopped_) return;
      if (!range.ok()) return Log("cluster: cannot list the tenants", range.status());
      Listed(std::move(*range));
    });
  });
}

void ClusterNode::Listed(EtcdClient::RangeResult range) {
  need_list_ = false;
  absl::flat_hash_set<std::string> listed;
  for (EtcdClient::KeyValue& kv : range.kvs) {
    std::string name(config::ClusterKeys::After(kv.key, keys_.Tenants()));
    if (!config::ValidClusterName(name)) continue;
    listed.insert(name);
    queue_.push_back(Change{name, false, std::move(kv.value), kv.mod_revision});
  }
  // Served here from the cluster, gone from it while this node was away.
  for (const auto& [name, revision] : applier_->ClusterTenants()) {
    if (!listed.contains(name)) queue_.push_back(Change{name, true, "", range.revision});
  }
  Change marker;
  marker.marker = true;
  marker.revision = range.revision;
  queue_.push_back(std::move(marker));
  base::LogLine(base::LogLevel::kInfo, "cluster: tenants listed")
      .Str("node", cluster_.node_name)
      .Int("tenants", static_cast<int64_t>(listed.size()))
      .Int("revision", range.revision)
      .Emit();
  Watch(range.revision + 1);
  Next();
}

void ClusterNode::Watch(int64_t from) {
  watching_ = false;
  watch_ = etcd_.StartWatch(keys_.Tenants(), config::PrefixEnd(keys_.Tenants()), from, this);
}

void ClusterNode::OnWatchStarted() {
  watching_ = true;
  // Reports that could not be written while etcd was away.
  absl::flat_hash_map<std::string, int64_t> unreported = std::move(unreported_);
  unreported_.clear();
  for (const auto& [tenant, revision] : unreported) Report(tenant, revision);
}

void ClusterNode::OnEvents(int64_t, std::vector<EtcdClient::WatchEvent> events) {
  for (EtcdClient::WatchEvent& event : events) {
    std::string name(config::ClusterKeys::After(event.kv.key, keys_.Tenants()));
    if (!config::ValidClusterName(name)) continue;
    Change change{name, event.deleted, std::move(event.kv.value), event.kv.mod_revision};
    change.from_watch = true;
    queue_.push_back(std::move(change));
  }
  Next();
}

void ClusterNode::OnCompacted(int64_t compact_revision) {
  base::LogLine(base::LogLevel::kInfo, "cluster: the watch's revision was compacted; listing again")
      .Int("from", applied_ + 1)
      .Int("compact_revision", compact_revision)
      .Emit();
  watch_ = nullptr;
  watching_ = false;
  queue_.clear();
  need_list_ = true;
}

void ClusterNode::OnWatchError(const absl::Status& error) {
  if (!stopped_) Log("cluster: the watch broke; resuming from the last revision applied", error);
  watch_ = nullptr;
  watching_ = false;
  queue_.clear();  // the watch resumes from applied_ + 1 and brings them again
}

void ClusterNode::Next() {
  // A loop, not recursion: changes applied at once (unchanged tenants of a long list) come back
  // here through Applied() while this frame is still running.
  if (in_next_) return;
  in_next_ = true;
  while (!applying_ && !stopped_ && !queue_.empty() && uv_now(loop_) >= backoff_until_ms_) {
    Change change = std::move(queue_.front());
    queue_.pop_front();
    applying_ = true;
    Apply(std::move(change));
  }
  in_next_ = false;
}

void ClusterNode::Apply(Change change) {
  if (change.marker) return Applied(change, false);
  int64_t local = static_cast<int64_t>(applier_->ClusterRevision(change.tenant));
  if (change.deleted) {
    if (local == 0) return Applied(change, true);
    return applier_->RemoveTenant(change.tenant, [this, change](absl::Status removed) {
      if (!removed.ok()) Log("cluster: cannot remove a tenant", removed);
      Applied(change, removed.ok());
    });
  }
  if (local >= change.revision) {
    change.revision = local;
    return Applied(change, true);
  }
  absl::StatusOr<config::TenantRecord> record = config::DecodeTenantRecord(change.record);
  if (!record.ok()) {
    Log("cluster: a tenant record does not parse", record.status());
    return Applied(change, false);
  }
  WithBundle(record->bundle, [this, change, spec = record->spec](absl::StatusOr<std::string> script) {
    if (stopped_) return;
    if (absl::IsUnavailable(script.status())) {  // etcd away: the same change again, later
      applying_ = false;
      backoff_until_ms_ = uv_now(loop_) + kBundleRetryMs;
      queue_.push_front(change);
      return Log("cluster: cannot fetch a bundle", script.status());
    }
    if (!script.ok()) {
      Log("cluster: a tenant's bundle is missing or corrupt", script.status());
      return Applied(change, false);
    }
    applier_->ApplyTenant(change.tenant, config::JoinDeployBody(spec, *script), static_cast<uint64_t>(change.revision),
                          [this, change](absl::Status applied) {
                            if (!applied.ok()) {
                              base::LogLine(base::LogLevel::kWarn, "cluster: cannot serve a tenant's revision")
                                  .Str("tenant", change.tenant)
                                  .Int("revision", change.revision)
                                  .Str("error", base::ToStd(applied.message()))
                                  .Emit();
                            }
                            Applied(change, applied.ok());
                          });
  });
}

void ClusterNode::WithBundle(const std::string& hash, std::function<void(absl::StatusOr<std::string>)> done) {
  if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return done(absl::DataLossError("bad bundle hash"));
  }
  std::filesystem::path file = bundle_dir_ / hash;
  if (absl::StatusOr<std::string> cached = base::ReadFile(file); cached.ok() && Sha256Hex(*cached) == hash) return done(*cached);
  etcd_.Range(keys_.Bundle(hash), "", [this, hash, file, done = std::move(done)](absl::StatusOr<EtcdClient::RangeResult> range) {
    if (!range.ok()) return done(range.status());
    if (range->kvs.empty()) return done(absl::NotFoundError(base::StrCat("bundle ", hash, " is not in etcd")));
    std::string& script = range->kvs[0].value;
    if (Sha256Hex(script) != hash) return done(absl::DataLossError(base::StrCat("bundle ", hash, " does not match its hash")));
    if (absl::Status written = base::WriteFileAtomically(file, script, /*durable=*/false); !written.ok()) {
      Log("cluster: cannot cache a bundle", written);
    }
    done(std::move(script));
  });
}

void ClusterNode::Applied(const Change& change, bool report) {
  applying_ = false;
  if (change.marker || change.from_watch) applied_ = std::max(applied_, change.revision);
  if (report) Report(change.tenant, change.revision);
  Next();
}

void ClusterNode::Report(const std::string& tenant, int64_t revision) {
  auto known = reported_.find(tenant);
  if (known != reported_.end() && known->second == revision) return;
  reported_[tenant] = revision;
  etcd_.Put(keys_.Loaded(cluster_.node_name, tenant), std::to_string(revision), 0, [this, tenant, revision](absl::StatusOr<int64_t> put) {
    if (put.ok()) return;
    if (auto it = reported_.find(tenant); it != reported_.end() && it->second == revision) reported_.erase(it);
    int64_t& pending = unreported_[tenant];
    pending = std::max(pending, revision);
  });
}

}  // namespace atl::server
