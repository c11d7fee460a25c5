#include "config/wrangler_environments.h"

#include <algorithm>

#include "base/strings.h"

namespace atl::config {
namespace {

using base::StrCat;

// Keys an environment does not inherit from the top level (wrangler's "non-inheritable keys":
// bindings and vars): with --env they come from [env.NAME] only.
constexpr std::string_view kNotInherited[] = {
    "define", "vars", "durable_objects", "workflows", "kv_namespaces", "send_email", "queues", "r2_buckets",
    "d1_databases", "vectorize", "hyperdrive", "services", "analytics_engine_datasets", "dispatch_namespaces",
    "mtls_certificates", "tail_consumers", "browser", "ai", "images", "version_metadata", "unsafe", "pipelines",
    "secrets_store_secrets", "unsafe_hello_world", "worker_loaders", "ratelimits", "containers"};

}  // namespace

std::vector<std::pair<std::string_view, const toml::node*>> InOrder(const toml::table& table) {
  std::vector<std::pair<std::string_view, const toml::node*>> out;
  for (const auto& [key, value] : table) out.emplace_back(key.str(), &value);
  std::stable_sort(out.begin(), out.end(), [&table](const auto& a, const auto& b) {
    const auto& pa = table.get(a.first)->source().begin;
    const auto& pb = table.get(b.first)->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

absl::StatusOr<SelectedKeys> SelectEnvironment(const toml::table& root, std::string_view environment,
                                               const std::string& label) {
  const toml::node* envs = root.get("env");
  if (envs != nullptr && !envs->is_table()) {
    return absl::InvalidArgumentError(StrCat(label, ": env: expected a table of environments ([env.NAME])"));
  }
  SelectedKeys out;
  const toml::table* chosen = nullptr;
  if (!environment.empty()) {
    chosen = envs == nullptr ? nullptr : (*envs->as_table())[environment].as_table();
    if (chosen == nullptr) {
      std::string have;
      if (envs != nullptr) {
        for (const auto& [k, v] : *envs->as_table()) have += have.empty() ? std::string(k.str()) : StrCat(", ", k.str());
      }
      return absl::InvalidArgumentError(StrCat(label, ": env.", environment, ": no such environment (--env ",
                                               environment, "; the file has ", have.empty() ? "none" : have, ")"));
    }
  }
  for (const auto& [key, value] : InOrder(root)) {
    bool keep = key != "env";
    if (chosen != nullptr) {
      for (std::string_view not_inherited : kNotInherited) keep = keep && key != not_inherited;
      keep = keep && chosen->get(key) == nullptr;
    }
    if (!keep) continue;
    out.entries.emplace_back(key, value);
    if (chosen != nullptr && key == "name" && value->is_string()) {
      out.name = std::make_unique<toml::value<std::string>>(StrCat(value->as_string()->get(), "-", environment));
      out.entries.back().second = out.name.get();
    }
  }
  if (chosen != nullptr) {
    for (const auto& entry : InOrder(*chosen)) out.entries.push_back(entry);
  }
  return out;
}

}  // namespace atl::config
