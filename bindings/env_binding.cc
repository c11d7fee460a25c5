#include "bindings/env_binding.h"

#include "base/strings.h"
#include "bindings/env_assets.h"
#include "bindings/env_kv.h"
#include "bindings/env_services.h"
#include "bindings/env_strings.h"
#include "bindings/env_wasm.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// env.NAME = internal.require(module)[factory](value) for each entry.
absl::Status BindValuesFromModule(EnvSetup& setup, const std::vector<EnvEntry>& entries, const EnvInstaller& installer) {
  // These modules make objects of the tenant's classes, which get env (`new Class(ctx, env)`).
  if (absl::Status shared = setup.ShareEnvWithModules(); !shared.ok()) return shared;
  std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
  for (const EnvEntry& entry : entries) {
    bindings.emplace_back(entry.binding->name, isolates::NewString(setup.isolate(), entry.binding->value));
  }
  return installer.on_env ? setup.BindFromModule(installer.module, installer.factory, bindings)
                          : setup.ConfigureModule(installer.module, installer.factory, bindings);
}

}  // namespace

const std::vector<EnvInstaller>& EnvInstallers() {
  static const std::vector<EnvInstaller> installers = {
      {"vars", InstallStringBindings},
      {"secrets", InstallStringBindings},
      {"kv", InstallKvBindings},
      {"wasm", InstallWasmBindings},
      {"services", InstallServiceBindings},
      {"durable_objects", nullptr, "durable_objects", "newNamespace"},  // js/lazy/durable_objects.js
      {"workflows", nullptr, "workflows", "newWorkflow"},               // js/lazy/workflows.js
      {"d1", nullptr, "d1", "newDatabase"},                             // js/lazy/d1.js
      {"queues", nullptr, "queues", "newQueue"},                        // js/lazy/queues.js
      {"queue_consumers", nullptr, "queues", "consume", /*on_env=*/false},
      {"r2", nullptr, "r2", "newBucket"},                               // js/lazy/r2.js
      {"assets", InstallAssetsBindings},  // [tenants.assets] binding (env_assets.h)
  };
  return installers;
}

absl::Status InstallEnv(EnvSetup& setup, const std::vector<EnvBinding>& bindings) {
  for (const EnvBinding& binding : bindings) {
    bool known = false;
    for (const EnvInstaller& installer : EnvInstallers()) known = known || installer.kind == binding.kind;
    if (!known) return absl::InternalError(base::StrCat("env.", binding.name, ": no installer for kind ", binding.kind));
  }
  for (const EnvInstaller& installer : EnvInstallers()) {
    std::vector<EnvEntry> entries;
    for (uint32_t i = 0; i < bindings.size(); ++i) {
      if (bindings[i].kind == installer.kind) entries.push_back({i, &bindings[i]});
    }
    if (entries.empty()) continue;
    absl::Status st = installer.install != nullptr ? installer.install(setup, entries)
                                                   : BindValuesFromModule(setup, entries, installer);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> WorkerOptions::OfKind(std::string_view kind) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const EnvBinding& binding : env) {
    if (binding.kind == kind) out.emplace_back(binding.name, binding.value);
  }
  return out;
}

void WorkerOptions::Bind(std::string_view kind, std::string_view name, std::string_view value) {
  EnvBinding binding;
  binding.kind = kind;
  binding.name = name;
  binding.value = value;
  env.push_back(std::move(binding));
}

}  // namespace atl::bindings
