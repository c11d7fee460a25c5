#pragma once
// The tenants this process knows and how requests find them: each tenant's spec, the router
// built from the routes of every serving tenant, and lookup by name (a hash map). Tenants keep
// their index for the life of the process; a removed tenant keeps its slot (and its name, for
// metrics) until it is deployed again. No isolates (isolate_cache.h) and no loop here.
//
//   TenantRegistry registry;
//   RETURN_IF_ERROR(registry.Reset(std::move(specs)));      // route conflicts: InvalidArgument
//   std::optional<uint32_t> tenant = registry.Route("a.example.com", "/api");
//   absl::StatusOr<TenantRegistry::Staged> staged = registry.Stage(spec);  // a deploy: check...
//   registry.Commit(std::move(*staged), std::move(spec));                // ...then install

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "assets/asset_set.h"
#include "bindings/worker.h"
#include "config/assets_config.h"
#include "config/cron.h"
#include "config/route_pattern.h"
#include "server/asset_codings.h"
#include "server/router.h"

namespace atl::server {

// One tenant as the server runs it.
struct TenantSpec {
  bindings::WorkerOptions worker;     // name, script, limits, context mode, env
  std::vector<config::RoutePattern> routes;
  std::vector<std::string> outbound;  // hosts fetch() may reach besides public ones (ssrf_guard.h)
  std::vector<config::CronSchedule> crons;  // [tenants.triggers] crons (scheduled_events.h)
  uint64_t version = 0;               // deployed through the admin API: its version, else 0
  std::string etag;                   // ... and its etag
  uint64_t revision = 0;              // cluster mode: the etcd revision of tenants/NAME it is
  bool process_isolation = false;     // isolation = "process" (server/isolation.h)
  bool auto_isolation = false;        // isolation = "auto": moved there after repeated kills
  std::optional<config::AssetsConfig> assets_config;  // [tenants.assets], as configured
  std::shared_ptr<const assets::AssetSet> assets;     // ... loaded (BindResources); null: none
  std::shared_ptr<AssetCodings> asset_codings;        // ... their compressed forms, made as asked
  // Whether the tenant has a Worker (a tenant of static assets alone has none).
  bool has_worker() const { return !worker.script_path.empty(); }
};

class TenantRegistry {
 public:
  // Every tenant of `specs`, in that order, routed; InvalidArgument naming the tenant on a route
  // conflict.
  absl::Status Reset(std::vector<TenantSpec> specs);

  // The serving tenant a request for `host` and `path` (without the query) goes to.
  std::optional<uint32_t> Route(std::string_view host, std::string_view path) const;
  // The index of the tenant named `name` (removed ones too), or -1.
  int32_t Find(std::string_view name) const;
  // Whether tenant `index` serves (not removed).
  bool Serving(uint32_t index) const { return index < tenants_.size() && !tenants_[index].removed; }
  size_t size() const { return tenants_.size(); }
  size_t serving() const;  // tenants not removed
  const TenantSpec& spec(uint32_t index) const { return tenants_[index].spec; }
  const std::string& name(uint32_t index) const { return tenants_[index].spec.worker.tenant_name; }
  // The tenant that tenant `caller`'s service binding `binding` names (removed ones too), or -1.
  int32_t ServiceTarget(uint32_t caller, std::string_view binding) const;
  // The named export the binding calls ("" for the default export; config/env_services.h).
  std::string_view ServiceEntrypoint(uint32_t caller, std::string_view binding) const;

  // A deploy in two steps, so that nothing changes when a later step fails: Stage finds the slot
  // `spec` takes (its name's, or a new one) and routes it (InvalidArgument on a conflict);
  // Commit installs it there and serves it.
  struct Staged {
    uint32_t index = 0;
    bool replaces = false;  // the slot is an existing tenant's
    Router router;
  };
  absl::StatusOr<Staged> Stage(const TenantSpec& spec) const;
  void Commit(Staged staged, TenantSpec spec);
  // Stops routing to the serving tenant `name`: its index, or -1 if there is none.
  int32_t Remove(std::string_view name);

 private:
  struct Entry {
    TenantSpec spec;
    bool removed = false;  // DELETE through the admin API: not routed
  };
  // The router of every serving tenant, with `extra` in slot `extra_index` (-1: none).
  absl::StatusOr<Router> BuildRouter(int64_t extra_index, const TenantSpec* extra) const;

  std::vector<Entry> tenants_;
  absl::flat_hash_map<std::string, uint32_t> by_name_;
  Router router_;
};

}  // namespace atl::server
