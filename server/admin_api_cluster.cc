// The admin API's cluster-mode side (admin_api.h): GET /cluster and /cluster/objects/..., a
// deploy checked here and written to etcd (cluster_admin.h), and the ClusterApplier through
// which this node's ClusterNode applies what etcd says.
#include "base/log.h"
#include "base/strings.h"
#include "server/admin_api.h"
#include "server/serve_plan.h"

namespace atl::server {

bool AdminApi::HandleCluster(uint64_t id, std::string_view method, std::string_view path) {
  if (path == "/cluster" && cluster_ != nullptr) {
    if (method != "GET") RespondError(id, 405, "method_not_allowed");
    else cluster_->Describe([this, id](ClusterAdmin::Answer a) { Respond(id, a.status, a.body); });
    return true;
  }
  if (constexpr std::string_view kObjects = "/cluster/objects/"; path.starts_with(kObjects) && object_info_) {
    if (method != "GET") RespondError(id, 405, "method_not_allowed");
    else Respond(id, 200, object_info_(path.substr(kObjects.size())));
    return true;
  }
  return false;
}

void AdminApi::ClusterDeploy(uint64_t id, std::string_view name, std::string_view body, std::string_view if_match) {
  std::optional<int64_t> revision = ParseIfMatch(if_match);
  if (!if_match.empty() && !revision) return RespondError(id, 400, "bad_request", "If-Match: expected the tenant's revision");
  absl::StatusOr<config::SplitBody> split = config::SplitDeployBody(body);
  if (!split.ok()) return RespondError(id, 400, "invalid_tenant", base::ToStd(split.status().message()));
  if (split->script.size() > config::kMaxClusterValue) {  // before compiling it
    return RespondError(id, 413, "bundle_too_large",
                        base::StrCat("the script is ", split->script.size(), " bytes; etcd takes values up to ", config::kMaxClusterValue,
                                     " bytes (its --max-request-bytes, 1.5 MiB by default)"));
  }
  // Checked here as every node will read it, then written to etcd; the nodes deploy it.
  {
    std::vector<std::string> known;
    for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
      if (tenants_->Serving(i)) known.push_back(tenants_->TenantName(i));
    }
    TenantStore::Lock lock = store_->Exclusive();
    absl::StatusOr<TenantStore::Staged> staged = store_->Stage(name, body, known);
    if (!staged.ok()) {
      bool client = absl::IsInvalidArgument(staged.status()) || absl::IsNotFound(staged.status());
      return RespondError(id, client ? 400 : 500, client ? "invalid_tenant" : "storage_error", base::ToStd(staged.status().message()));
    }
    // Compiled and run in a fresh isolate as every node will: a broken script is refused here.
    TenantSpec spec = SpecOf(std::move(staged->config));
    absl::Status checked = BindResources(&spec, kv_stores_);
    if (checked.ok()) checked = tenants_->Check(std::move(spec));
    store_->Discard(*staged);
    if (!checked.ok()) {
      if (absl::IsResourceExhausted(checked)) return RespondError(id, 503, "overloaded", base::ToStd(checked.message()));
      return RespondError(id, 400, "invalid_tenant", base::ToStd(checked.message()));
    }
  }
  cluster_->Deploy(std::string(name), *split, revision, [this, id](ClusterAdmin::Answer a) { Respond(id, a.status, a.body); });
}

void AdminApi::ApplyTenant(const std::string& name, const std::string& body, uint64_t revision, std::function<void(absl::Status)> done) {
  int status = 500;
  absl::StatusOr<Deployed> deployed = DeployHere(name, body, revision, &status);
  if (!deployed.ok()) return done(deployed.status());
  link_->AskAll(base::StrCat("reload ", name), [done = std::move(done)](Answers answers) {
    for (const std::string& answer : answers.bodies) {
      if (answer != "ok") return done(absl::InternalError(base::StrCat("a worker did not take it: ", answer)));
    }
    if (answers.bodies.size() + 1 < answers.workers) return done(absl::UnavailableError("a worker did not answer in time"));
    done(absl::OkStatus());
  });
}

void AdminApi::RemoveTenant(const std::string& name, std::function<void(absl::Status)> done) {
  absl::Status removed = store_->Remove(name);
  if (!removed.ok()) return done(removed);
  tenants_->Remove(name);
  base::LogLine(base::LogLevel::kInfo, "tenant deleted").Str("tenant", name).Emit();
  link_->AskAll(base::StrCat("reload ", name), [done = std::move(done)](Answers) { done(absl::OkStatus()); });
}

uint64_t AdminApi::ClusterRevision(std::string_view name) const {
  int32_t index = tenants_->Find(name);
  if (index < 0 || !tenants_->Serving(static_cast<uint32_t>(index))) return 0;
  return tenants_->Info(static_cast<uint32_t>(index)).spec->revision;
}

absl::flat_hash_map<std::string, uint64_t> AdminApi::ClusterTenants() const {
  absl::flat_hash_map<std::string, uint64_t> out;
  for (uint32_t i = 0; i < tenants_->tenant_slots(); ++i) {
    if (!tenants_->Serving(i)) continue;
    uint64_t revision = tenants_->Info(i).spec->revision;
    if (revision > 0) out[tenants_->TenantName(i)] = revision;
  }
  return out;
}

}  // namespace atl::server
