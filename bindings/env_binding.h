#pragma once
// The bindings/ half of env bindings (config/env_binding.h has the whole story): an installer
// per kind puts the kind's bindings on a new context's env. Worker::NewContext knows kinds only
// through EnvInstallers(): for each, in order, the bindings of that kind (in config order).
//
//   for (const EnvInstaller& installer : EnvInstallers()) installer.install(setup, entries_of_kind);

#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "config/env_binding.h"

namespace atl::bindings {

// A configured binding with what the server opened for it (KV: the kv::KvStore; null when the
// kind needs nothing, or when nothing was opened: `atoll check`).
struct EnvBinding : config::EnvBinding {
  std::shared_ptr<void> resource;
};

// What an installer may use while a context is made (Worker implements it).
class EnvSetup {
 public:
  virtual ~EnvSetup() = default;
  virtual v8::Isolate* isolate() = 0;
  virtual v8::Local<v8::Context> context() = 0;
  virtual v8::Local<v8::Object> env() = 0;
  // env[name] = internal.require(module)[factory](arg, name) for every (name, arg), under the
  // startup CPU budget.
  virtual absl::Status BindFromModule(std::string_view module, std::string_view factory,
                                      const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings) = 0;
  // The same calls with nothing put on env: a setting the module keeps (a queue's consumer).
  virtual absl::Status ConfigureModule(std::string_view module, std::string_view factory,
                                       const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& settings) = 0;
  // internal.workersEnv = env: the lazy modules that run the tenant's classes (a Durable Object,
  // a Workflow, a queue's consumer) give it to them. Otherwise set only by an import of
  // cloudflare:workers (builtin_modules.cc), so that other tenants' contexts do not carry it.
  virtual absl::Status ShareEnvWithModules() = 0;
};

// One binding of the kind being installed, and its position in WorkerOptions::env (a handle the
// natives may take: Worker::kv_store(index)).
struct EnvEntry {
  uint32_t index;
  const EnvBinding* binding;
};

// A kind's installer: `kind` is config::EnvBindingKind::key. Either `install`, or (null) env.NAME
// = internal.require(module)[factory](value) for each binding: a lazy module's object made from
// the configured string (a class name, a database's JSON); with `on_env` false, only the call
// (the module keeps the setting; NAME is no env property).
struct EnvInstaller {
  std::string_view kind;
  absl::Status (*install)(EnvSetup& setup, const std::vector<EnvEntry>& entries);
  std::string_view module = {};
  std::string_view factory = {};
  bool on_env = true;
};

// Every kind, in the order their bindings are put on env (env_binding.cc).
const std::vector<EnvInstaller>& EnvInstallers();

// Puts every binding of `bindings` on setup.env(), kind by kind in EnvInstallers() order;
// Internal for a kind without an installer.
absl::Status InstallEnv(EnvSetup& setup, const std::vector<EnvBinding>& bindings);

}  // namespace atl::bindings
