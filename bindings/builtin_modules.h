#pragma once
// The modules a tenant script imports by name rather than by path: `node:buffer` & co. under the
// nodejs_compat flag, `cloudflare:workers`. Each is one line of the table in builtin_modules.cc
// naming the lazy module (bindings/js/lazy/<name>.js) whose exports it is; the loader
// (isolates/script_loader.h) turns it into a synthetic ES module whose named exports are those
// exports' own enumerable properties, and whose `default` is the exports object (as Node does).
//
//   BuiltinModules host(isolate, internal, options.compatibility_flags);
//   isolates::ScriptLoader loader(code_cache, &memo, &host);

#include <v8.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isolates/script_loader.h"

namespace atl::bindings {

struct BuiltinModule {
  std::string_view specifier;    // as imported: "node:buffer", "buffer", "cloudflare:workers"
  std::string_view lazy_module;  // bindings/js/lazy/<lazy_module>.js
  std::string_view flag;         // the compatibility flag it needs; empty: always there
};

// Every built-in module, in no particular order.
std::span<const BuiltinModule> BuiltinModuleTable();

// Whether `flags` turn `flag` on (nodejs_compat_v2 counts as nodejs_compat).
bool HasCompatibilityFlag(const std::vector<std::string>& flags, std::string_view flag);

// The table as the ScriptLoader's ImportHost for one context: exports come from
// `internal.require(lazy_module)` (loading a module is the platform's work, never billed).
class BuiltinModules : public isolates::ImportHost {
 public:
  BuiltinModules(v8::Isolate* isolate, v8::Local<v8::Object> internal, const std::vector<std::string>& flags)
      : isolate_(isolate), internal_(internal), flags_(flags) {}

  // The globals the flags add (nodejs_compat: Buffer, process, global), lazily; and, unless
  // the tenant opts out, the context's `env` for process.env. Keeps `env` for cloudflare:workers.
  absl::Status InstallGlobals(v8::Local<v8::Context> context, v8::Local<v8::Object> env);
  // The env cloudflare:workers exports, for a context whose globals are already installed.
  void set_env(v8::Local<v8::Object> env) { env_ = env; }

  absl::StatusOr<bool> Provides(std::string_view specifier) override;
  v8::MaybeLocal<v8::Object> Exports(v8::Local<v8::Context> context, std::string_view specifier) override;

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Object> internal_;
  const std::vector<std::string>& flags_;
  v8::Local<v8::Object> env_;  // the context's env, from InstallGlobals
};

}  // namespace atl::bindings
