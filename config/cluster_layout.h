#pragma once
// The control plane's key layout in etcd and the documents stored there (README.md "Running a
// fleet"). Pure functions; the etcd client and the node's sync loop are in server/.
//
//   PREFIX tenants/NAME          {"bundle":"SHA256","spec":{...the deploy body without script...}}
//                                its mod_revision is the tenant's version in the fleet
//   PREFIX bundles/SHA256        the script (the bundle), addressed by its content hash
//   PREFIX nodes/NODE            {"advertise":"HOST:PORT","cores":N,"memory_mb":N}, under the node's lease
//   PREFIX loaded/NODE/TENANT    the revision of tenants/TENANT that NODE serves ("0": deleted)
//   PREFIX load/NODE             {"cores","memory_mb","tenants":{"NAME":{"memory_kb","rps"}}}, under the node's lease
//   PREFIX placements/TENANT     {"nodes":["a","b"],"controller":"NAME"}, written by the `atoll control` leader
//   PREFIX control/leader        {"name","lease"}, under the leader's lease (server/leader_election.h)
//   PREFIX do/TENANT/CLASS/ID    NODE: the node that owns a Durable Object, under its lease; the
//                                key's create_revision is the owner's fencing token (server/cluster_objects.h)
//   PREFIX do-secret             the fleet secret: authenticates forwards and Durable Object calls between nodes (made once)

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::config {

// etcd's default --max-request-bytes (1.5 MiB) caps a put; a bundle or a tenant record must fit
// with its key and the request's framing.
inline constexpr size_t kMaxClusterValue = 1572864 - 4096;

// Node and tenant names in keys: [a-z0-9-]{1,63}.
bool ValidClusterName(std::string_view name);

class ClusterKeys {
 public:
  explicit ClusterKeys(std::string prefix) : prefix_(std::move(prefix)) {}
  const std::string& prefix() const { return prefix_; }

  std::string Tenant(std::string_view name) const { return prefix_ + "tenants/" + std::string(name); }
  std::string Tenants() const { return prefix_ + "tenants/"; }
  std::string Bundle(std::string_view hash) const { return prefix_ + "bundles/" + std::string(hash); }
  std::string Node(std::string_view name) const { return prefix_ + "nodes/" + std::string(name); }
  std::string Nodes() const { return prefix_ + "nodes/"; }
  std::string Loaded(std::string_view node, std::string_view tenant) const {
    return prefix_ + "loaded/" + std::string(node) + "/" + std::string(tenant);
  }
  std::string LoadedOf(std::string_view node) const { return prefix_ + "loaded/" + std::string(node) + "/"; }
  std::string AllLoaded() const { return prefix_ + "loaded/"; }
  std::string Load(std::string_view node) const { return prefix_ + "load/" + std::string(node); }
  std::string Loads() const { return prefix_ + "load/"; }
  std::string Placement(std::string_view tenant) const { return prefix_ + "placements/" + std::string(tenant); }
  std::string Placements() const { return prefix_ + "placements/"; }
  std::string ControlLeader() const { return prefix_ + "control/leader"; }
  std::string ObjectClaim(std::string_view tenant, std::string_view class_name, std::string_view id) const {
    return prefix_ + "do/" + std::string(tenant) + "/" + std::string(class_name) + "/" + std::string(id);
  }
  std::string ObjectClaims() const { return prefix_ + "do/"; }
  std::string ObjectSecret() const { return prefix_ + "do-secret"; }

  // What follows `under` in `key` ("" if `key` is not under it).
  static std::string_view After(std::string_view key, std::string_view under);

 private:
  std::string prefix_;
};

// The range_end that makes a range of every key starting with `prefix` (etcd's convention: the
// prefix with its last byte incremented).
std::string PrefixEnd(std::string_view prefix);

// A deploy body split into its script and the rest (the tenant's spec, a JSON object).
struct SplitBody {
  std::string script;
  std::string spec;  // "{...}" without "script"
};
absl::StatusOr<SplitBody> SplitDeployBody(std::string_view body);
// The deploy body again, from a spec and its script.
std::string JoinDeployBody(std::string_view spec, std::string_view script);

struct TenantRecord {
  std::string bundle;  // SHA-256 of the script, lower-case hex
  std::string spec;    // a JSON object
};
std::string EncodeTenantRecord(const TenantRecord& record);
absl::StatusOr<TenantRecord> DecodeTenantRecord(std::string_view json);

struct NodeRecord {
  std::string advertise;
  uint32_t cores = 0;
  uint64_t memory_mb = 0;
};
std::string EncodeNodeRecord(const NodeRecord& record);
absl::StatusOr<NodeRecord> DecodeNodeRecord(std::string_view json);

// A node's measured load (PREFIX load/NODE), written by its syncing worker every few seconds.
struct TenantLoad {
  uint64_t memory_kb = 0;  // V8 heap of the tenant's isolates on the node, summed over its workers
  double rps = 0;          // requests per second over the last report interval, all workers
};
struct LoadRecord {
  uint32_t cores = 0;
  uint64_t memory_mb = 0;
  std::vector<std::pair<std::string, TenantLoad>> tenants;
};
std::string EncodeLoadRecord(const LoadRecord& record);
absl::StatusOr<LoadRecord> DecodeLoadRecord(std::string_view json);

// Where a tenant is placed (PREFIX placements/TENANT), written by the control plane's leader.
struct PlacementRecord {
  std::vector<std::string> nodes;  // distinct node names, sorted
  std::string controller;          // the leader that wrote it
};
std::string EncodePlacementRecord(const PlacementRecord& record);
absl::StatusOr<PlacementRecord> DecodePlacementRecord(std::string_view json);

}  // namespace atl::config
