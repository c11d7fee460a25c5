#include "server/cluster_objects.h"

#include <algorithm>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {
namespace {

constexpr uint64_t kPumpMs = 100;

std::string ClaimName(std::string_view tenant, std::string_view class_name, std::string_view id) {
  return base::StrCat(tenant, "/", class_name, "/", id);
}

}  // namespace

ClusterObjects::ClusterObjects(uv_loop_t* loop, const config::ClusterConfig& cluster)
    : loop_(loop),
      cluster_(cluster),
      keys_(cluster.prefix),
      etcd_(loop, EtcdClient::ParseUrl(cluster.etcd).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379})) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  mirror_ = std::make_unique<EtcdMirror>(
      &etcd_, keys_.ObjectClaims(), [this] { claims_.clear(); },
      [this](const std::string& name, const EtcdClient::KeyValue* kv) {
        if (kv == nullptr) return;  // deletes come through set_on_delete
        Remember(name, Claim{kv->value, kv->create_revision, kv->lease});
      });
  mirror_->set_on_delete([this](const std::string& name, int64_t revision) {
    // A delete older than what the cache knows (a claim made after it, resolved meanwhile) is stale.
    auto it = claims_.find(name);
    if (it != claims_.end() && it->second.token <= revision) claims_.erase(it);
  });
}

ClusterObjects::~ClusterObjects() { Shutdown(); }

void ClusterObjects::Start() {
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<ClusterObjects*>(t->data)->Pump(); }, 0, kPumpMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
}

void ClusterObjects::Install() {
  kv::DoSettings& settings = kv::DoConfig();
  settings.where = [this](std::string_view tenant, std::string_view class_name, std::string_view id) {
    return Where(tenant, class_name, id);
  };
  settings.resolve = [this](std::string_view tenant, std::string_view class_name, std::string_view id,
                            std::function<void(absl::StatusOr<kv::ObjectRoute>)> done) {
    Resolve(tenant, class_name, id, std::move(done));
  };
  // The worker process that runs the object (kv::ObjectPlacement within the node) writes with
  // the node's token; any other process of the node has none.
  settings.fence = [this](std::string_view tenant, std::string_view class_name, std::string_view id) -> uint64_t {
    return kv::ObjectPlacement::IsLocal(id) ? NodeFence(tenant, class_name, id) : 0;
  };
}

void ClusterObjects::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  kv::DoSettings& settings = kv::DoConfig();
  settings.where = nullptr;
  settings.resolve = nullptr;
  settings.fence = [](std::string_view, std::string_view, std::string_view) -> uint64_t { return 0; };
  mirror_->Stop();
  etcd_.Shutdown();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void ClusterObjects::Release() {
  released_ = true;
  SwitchLease(0);
}

bool ClusterObjects::lease_valid() const { return lease_ != 0 && uv_hrtime() < valid_until_ns_; }

kv::ObjectRoute ClusterObjects::Where(std::string_view tenant, std::string_view class_name, std::string_view id) const {
  kv::ObjectRoute route;
  auto it = claims_.find(ClaimName(tenant, class_name, id));
  if (it == claims_.end()) return route;
  const Claim& claim = it->second;
  if (claim.node == cluster_.node_name) {
    if (claim.lease == lease_ && lease_valid()) {
      route.kind = kv::ObjectRoute::kHere;
      route.token = static_cast<uint64_t>(claim.token);
    }
    return route;  // a claim of this node that is not valid now: nobody to call
  }
  route.kind = kv::ObjectRoute::kRemote;
  route.node = claim.node;
  return route;
}

uint64_t ClusterObjects::NodeFence(std::string_view tenant, std::string_view class_name, std::string_view id) const {
  kv::ObjectRoute route = Where(tenant, class_name, id);
  return route.kind == kv::ObjectRoute::kHere ? route.token : 0;
}

void ClusterObjects::Remember(const std::string& name, Claim claim) {
  auto it = claims_.find(name);
  if (it != claims_.end() && it->second.token > claim.token) return;  // the cache knows a newer claim
  claims_[name] = std::move(claim);
}

void ClusterObjects::Resolve(std::string_view tenant, std::string_view class_name, std::string_view id,
                             std::function<void(absl::StatusOr<kv::ObjectRoute>)> done) {
  ResolveNow(tenant, class_name, id, std::move(done), false);
}

void ClusterObjects::ResolveNow(std::string_view tenant, std::string_view class_name, std::string_view id,
                                std::function<void(absl::StatusOr<kv::ObjectRoute>)> done, bool retried) {
  if (stopped_) return done(absl::UnavailableError("the server is stopping"));
  if (kv::ObjectRoute known = Where(tenant, class_name, id); known.kind != kv::ObjectRoute::kUnknown) return done(known);
  if (!lease_valid()) {
    if (!retried) {
      // The lease may have just been granted (a node starting) or renewed late: once more after
      // a check of it.
      after_check_.push_back([this, tenant = std::string(tenant), class_name = std::string(class_name),
                              id = std::string(id), done = std::move(done)]() mutable {
        ResolveNow(tenant, class_name, id, std::move(done), true);
      });
      next_check_ms_ = 0;
      return CheckLease();
    }
    return done(absl::UnavailableError(
        base::StrCat("node ", cluster_.node_name, " holds no valid lease in etcd now; the object cannot be placed here")));
  }
  std::string name = ClaimName(tenant, class_name, id);
  std::string key = keys_.ObjectClaim(tenant, class_name, id);
  int64_t lease = lease_;
  EtcdClient::Compare absent{.target = EtcdClient::Compare::Target::kCreate, .key = key, .revision = 0, .value = {}};
  EtcdClient::TxnOp claim{.key = key, .value = cluster_.node_name, .lease = lease};
  etcd_.Txn({absent}, {claim}, [this, name, key, lease, retried, tenant = std::string(tenant),
                                class_name = std::string(class_name), id = std::string(id),
                                done = std::move(done)](absl::StatusOr<EtcdClient::TxnResult> txn) mutable {
    if (!txn.ok()) return done(absl::UnavailableError(base::StrCat("etcd: ", base::ToStd(txn.status().message()))));
    if (txn->succeeded) {
      Remember(name, Claim{cluster_.node_name, txn->revision, lease});
      base::LogLine(base::LogLevel::kDebug, "Durable Objects: claimed").Str("object", name).Int("token", txn->revision).Emit();
    } else if (txn->current && txn->current->value == cluster_.node_name && txn->current->lease != lease) {
      // A claim of this node under one of its older leases: an earlier process of this node (a
      // restart after kill -9) whose lease has not expired yet. A node name runs once, so it is
      // taken over: deleted if unchanged, then claimed anew (a new key: a higher fencing token,
      // so whatever the earlier process still sends is refused).
      EtcdClient::Compare unchanged{.target = EtcdClient::Compare::Target::kMod, .key = key,
                                    .revision = txn->current->mod_revision, .value = {}};
      return etcd_.Txn({unchanged}, {EtcdClient::TxnOp{.deleted = true, .key = key, .value = {}, .lease = 0}},
                       [this, retried, tenant, class_name, id, done = std::move(done)](absl::StatusOr<EtcdClient::TxnResult>) mutable {
                         ResolveNow(tenant, class_name, id, std::move(done), retried);
                       });
    } else if (txn->current) {
      Remember(name, Claim{txn->current->value, txn->current->create_revision, txn->current->lease});
    } else {
      return done(absl::UnavailableError("the object's claim changed meanwhile; try again"));
    }
    kv::ObjectRoute route = Where(tenant, class_name, id);
    if (route.kind == kv::ObjectRoute::kUnknown) {
      // This node's claim under a lease it no longer holds (it lost it meanwhile, or an older one
      // of its leases still lives): nobody can run the object until that claim expires.
      return done(absl::UnavailableError("this node's claim on the object is not valid now; try again"));
    }
    done(route);
  });
}

void ClusterObjects::Pump() {
  if (stopped_) return;
  mirror_->Pump();
  uint64_t now = uv_now(loop_);
  if (now < next_check_ms_ && lease_valid()) return;
  // A sixth of the TTL: the remaining TTL read (at least TTL - TTL/3 - 1 s, rounded down, as the
  // syncing worker renews every TTL/3) outlasts a few missed checks.
  next_check_ms_ = now + std::max<uint64_t>(250, cluster_.lease_ttl_s * 1000ull / 6);
  CheckLease();
}

void ClusterObjects::Checked() {
  lease_busy_ = false;
  std::vector<std::function<void()>> waiting = std::move(after_check_);
  after_check_.clear();
  for (auto& resolve : waiting) resolve();
}

void ClusterObjects::CheckLease() {
  if (released_) return Checked();
  if (lease_busy_) return;
  lease_busy_ = true;
  uint64_t sent = uv_hrtime();  // etcd answers after this: the lease lives at least until sent + remaining TTL
  etcd_.Range(keys_.Node(cluster_.node_name), "", [this, sent](absl::StatusOr<EtcdClient::RangeResult> range) {
    if (!range.ok() || released_) return Checked();  // the deadline passes by itself if this goes on
    int64_t lease = range->kvs.empty() ? 0 : range->kvs[0].lease;
    if (lease != lease_) SwitchLease(lease);
    if (lease == 0) return Checked();
    // Read, not renewed: the node's syncing worker alone keeps the lease alive (cluster_node.h),
    // so a node whose sync is stuck still leaves nodes/ after the TTL.
    etcd_.LeaseTimeToLive(lease, [this, sent, lease](absl::StatusOr<int64_t> ttl) {
      if (lease == lease_ && ttl.ok() && *ttl > 0) {
        valid_until_ns_ = std::max<uint64_t>(valid_until_ns_, sent + static_cast<uint64_t>(*ttl) * 1000000000ull);
      } else if (lease == lease_ && !ttl.ok() && absl::IsNotFound(ttl.status())) {
        SwitchLease(0);
      }
      Checked();
    });
  });
}

void ClusterObjects::SwitchLease(int64_t lease) {
  size_t dropped = 0;
  for (auto it = claims_.begin(); it != claims_.end();) {
    if (it->second.node == cluster_.node_name && it->second.lease != lease) {
      claims_.erase(it++);
      ++dropped;
    } else {
      ++it;
    }
  }
  if (lease_ != 0 || dropped != 0) {
    base::LogLine(base::LogLevel::kInfo, "Durable Objects: the node's lease changed; its claims under the old one are dropped")
        .Str("node", cluster_.node_name)
        .Int("old_lease", lease_)
        .Int("lease", lease)
        .Int("claims_dropped", static_cast<int64_t>(dropped))
        .Emit();
  }
  lease_ = lease;
  valid_until_ns_ = 0;
}

}  // namespace atl::server
