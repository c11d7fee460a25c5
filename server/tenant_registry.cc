#include "server/tenant_registry.h"

#include <utility>

#include "base/strings.h"
#include "config/env_services.h"

namespace atl::server {

absl::Status TenantRegistry::Reset(std::vector<TenantSpec> specs) {
  tenants_.clear();
  by_name_.clear();
  tenants_.reserve(specs.size());
  for (TenantSpec& spec : specs) {
    by_name_.try_emplace(spec.worker.tenant_name, static_cast<uint32_t>(tenants_.size()));
    tenants_.push_back(Entry{std::move(spec), false});
  }
  absl::StatusOr<Router> router = BuildRouter(-1, nullptr);
  if (!router.ok()) return router.status();
  router_ = std::move(*router);
  return absl::OkStatus();
}

std::optional<uint32_t> TenantRegistry::Route(std::string_view host, std::string_view path) const {
  std::optional<uint32_t> tenant = router_.Match(host, path);
  if (!tenant || tenants_[*tenant].removed) return std::nullopt;
  return tenant;
}

int32_t TenantRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(absl::string_view(name.data(), name.size()));
  return it == by_name_.end() ? -1 : static_cast<int32_t>(it->second);
}

int32_t TenantRegistry::ServiceTarget(uint32_t caller, std::string_view binding) const {
  int32_t target = -1;
  for (const bindings::EnvBinding& env : tenants_[caller].spec.worker.env) {
    if (env.kind == "services" && env.name == binding) target = Find(config::SplitServiceBinding(env.value).first);
  }
  return target;
}

std::string_view TenantRegistry::ServiceEntrypoint(uint32_t caller, std::string_view binding) const {
  for (const bindings::EnvBinding& env : tenants_[caller].spec.worker.env) {
    if (env.kind == "services" && env.name == binding) return config::SplitServiceBinding(env.value).second;
  }
  return {};
}

absl::StatusOr<Router> TenantRegistry::BuildRouter(int64_t extra_index, const TenantSpec* extra) const {
  Router router;
  auto add = [&](uint32_t index, const TenantSpec& spec) -> absl::Status {
    for (const config::RoutePattern& route : spec.routes) {
      absl::Status added = router.Add(route, index);
      if (!added.ok()) {
        return absl::InvalidArgumentError(base::StrCat("tenant ", spec.worker.tenant_name, ": ", base::ToStd(added.message())));
      }
    }
    return absl::OkStatus();
  };
  for (uint32_t i = 0; i < tenants_.size(); ++i) {
    if (static_cast<int64_t>(i) == extra_index || tenants_[i].removed) continue;
    absl::Status added = add(i, tenants_[i].spec);
    if (!added.ok()) return added;
  }
  if (extra != nullptr) {
    absl::Status added = add(static_cast<uint32_t>(extra_index), *extra);
    if (!added.ok()) return added;
  }
  return router;
}

absl::StatusOr<TenantRegistry::Staged> TenantRegistry::Stage(const TenantSpec& spec) const {
  int32_t found = Find(spec.worker.tenant_name);
  Staged staged;
  staged.replaces = found >= 0;
  staged.index = found >= 0 ? static_cast<uint32_t>(found) : static_cast<uint32_t>(tenants_.size());
  absl::StatusOr<Router> router = BuildRouter(staged.index, &spec);
  if (!router.ok()) return router.status();
  staged.router = std::move(*router);
  return staged;
}

void TenantRegistry::Commit(Staged staged, TenantSpec spec) {
  if (!staged.replaces) {
    by_name_.try_emplace(spec.worker.tenant_name, static_cast<uint32_t>(tenants_.size()));
    tenants_.push_back(Entry{});
  }
  Entry& entry = tenants_[staged.index];
  entry.spec = std::move(spec);
  entry.removed = false;
  router_ = std::move(staged.router);
}

size_t TenantRegistry::serving() const {
  size_t count = 0;
  for (const Entry& entry : tenants_) count += entry.removed ? 0 : 1;
  return count;
}

int32_t TenantRegistry::Remove(std::string_view name) {
  int32_t found = Find(name);
  if (found < 0 || tenants_[found].removed) return -1;
  tenants_[found].removed = true;
  absl::StatusOr<Router> router = BuildRouter(-1, nullptr);
  if (router.ok()) router_ = std::move(*router);
  return found;
}

}  // namespace atl::server
