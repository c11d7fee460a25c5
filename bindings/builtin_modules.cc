#include "bindings/builtin_modules.h"

#include <algorithm>

#include "base/strings.h"
#include "bindings/lazy_modules.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;
using isolates::NewSymbolString;

constexpr std::string_view kNodejsCompat = "nodejs_compat";

// One line per module: {specifier, lazy module, flag}. Node's modules answer to their bare names
// too, as under Workers' nodejs_compat_v2 (what nodejs_compat means from 2024-09-23 on). The
// ATL_NODE_MODULE lines are also js/lazy/build.mjs's list (it reads them: which import of npm
// code is which module, node:module's builtinModules, process.getBuiltinModule).
#define ATL_NODE_MODULE(name, lazy) {"node:" name, lazy, kNodejsCompat}, {name, lazy, kNodejsCompat}
constexpr BuiltinModule kBuiltinModules[] = {
    ATL_NODE_MODULE("_http_agent", "node__http_agent"),
    ATL_NODE_MODULE("_http_client", "node__http_client"),
    ATL_NODE_MODULE("_http_common", "node__http_common"),
    ATL_NODE_MODULE("_http_incoming", "node__http_incoming"),
    ATL_NODE_MODULE("_http_outgoing", "node__http_outgoing"),
    ATL_NODE_MODULE("_http_server", "node__http_server"),
    ATL_NODE_MODULE("_stream_duplex", "node__stream_duplex"),
    ATL_NODE_MODULE("_stream_passthrough", "node__stream_passthrough"),
    ATL_NODE_MODULE("_stream_readable", "node__stream_readable"),
    ATL_NODE_MODULE("_stream_transform", "node__stream_transform"),
    ATL_NODE_MODULE("_stream_wrap", "node__stream_wrap"),
    ATL_NODE_MODULE("_stream_writable", "node__stream_writable"),
    ATL_NODE_MODULE("_tls_common", "node__tls_common"),
    ATL_NODE_MODULE("_tls_wrap", "node__tls_wrap"),
    ATL_NODE_MODULE("assert", "node_assert"),
    ATL_NODE_MODULE("assert/strict", "node_assert_strict"),
    ATL_NODE_MODULE("async_hooks", "node_async_hooks"),
    ATL_NODE_MODULE("buffer", "node_buffer"),
    ATL_NODE_MODULE("child_process", "node_child_process"),
    ATL_NODE_MODULE("cluster", "node_cluster"),
    ATL_NODE_MODULE("console", "node_console"),
    ATL_NODE_MODULE("constants", "node_constants"),
    ATL_NODE_MODULE("crypto", "node_crypto"),
    ATL_NODE_MODULE("dgram", "node_dgram"),
    ATL_NODE_MODULE("diagnostics_channel", "node_diagnostics_channel"),
    ATL_NODE_MODULE("dns", "node_dns"),
    ATL_NODE_MODULE("dns/promises", "node_dns_promises"),
    ATL_NODE_MODULE("domain", "node_domain"),
    ATL_NODE_MODULE("events", "node_events"),
    ATL_NODE_MODULE("fs", "node_fs"),
    ATL_NODE_MODULE("fs/promises", "node_fs_promises"),
    ATL_NODE_MODULE("http", "node_http"),
    ATL_NODE_MODULE("http2", "node_http2"),
    ATL_NODE_MODULE("https", "node_https"),
    ATL_NODE_MODULE("inspector", "node_inspector"),
    ATL_NODE_MODULE("inspector/promises", "node_inspector_promises"),
    ATL_NODE_MODULE("module", "node_module"),
    ATL_NODE_MODULE("net", "node_net"),
    ATL_NODE_MODULE("os", "node_os"),
    ATL_NODE_MODULE("path", "node_path"),
    ATL_NODE_MODULE("path/posix", "node_path_posix"),
    ATL_NODE_MODULE("path/win32", "node_path_win32"),
    ATL_NODE_MODULE("perf_hooks", "node_perf_hooks"),
    ATL_NODE_MODULE("process", "node_process"),
    ATL_NODE_MODULE("punycode", "node_punycode"),
    ATL_NODE_MODULE("querystring", "node_querystring"),
    ATL_NODE_MODULE("readline", "node_readline"),
    ATL_NODE_MODULE("readline/promises", "node_readline_promises"),
    ATL_NODE_MODULE("repl", "node_repl"),
    ATL_NODE_MODULE("sqlite", "node_sqlite"),
    ATL_NODE_MODULE("stream", "node_stream"),
    ATL_NODE_MODULE("stream/consumers", "node_stream_consumers"),
    ATL_NODE_MODULE("stream/promises", "node_stream_promises"),
    ATL_NODE_MODULE("stream/web", "node_stream_web"),
    ATL_NODE_MODULE("string_decoder", "node_string_decoder"),
    ATL_NODE_MODULE("sys", "node_sys"),
    ATL_NODE_MODULE("timers", "node_timers"),
    ATL_NODE_MODULE("timers/promises", "node_timers_promises"),
    ATL_NODE_MODULE("tls", "node_tls"),
    ATL_NODE_MODULE("trace_events", "node_trace_events"),
    ATL_NODE_MODULE("tty", "node_tty"),
    ATL_NODE_MODULE("url", "node_url"),
    ATL_NODE_MODULE("util", "node_util"),
    ATL_NODE_MODULE("util/types", "node_util_types"),
    ATL_NODE_MODULE("v8", "node_v8"),
    ATL_NODE_MODULE("vm", "node_vm"),
    ATL_NODE_MODULE("wasi", "node_wasi"),
    ATL_NODE_MODULE("worker_threads", "node_worker_threads"),
    ATL_NODE_MODULE("zlib", "node_zlib"),
    {"cloudflare:workers", "cloudflare_workers", ""},
    {"cloudflare:sockets", "cloudflare_sockets", ""},
    {"cloudflare:workflows", "cloudflare_workflows", ""},
    {"cloudflare:node", "cloudflare_node", kNodejsCompat},
};
#undef ATL_NODE_MODULE

// The globals a flag adds, each read from lazy module `lazy_module` on first use.
struct FlaggedGlobals {
  std::string_view flag;
  std::string_view lazy_module;
  std::string_view names[5];
};
constexpr FlaggedGlobals kFlaggedGlobals[] = {
    {kNodejsCompat, "node_globals", {"Buffer", "process", "global", "setImmediate", "clearImmediate"}},
};

const BuiltinModule* Find(std::string_view specifier) {
  if (specifier.empty()) return nullptr;
  for (const BuiltinModule& module : kBuiltinModules) {
    if (module.specifier == specifier) return &module;
  }
  return nullptr;
}

}  // namespace

std::span<const BuiltinModule> BuiltinModuleTable() { return kBuiltinModules; }

bool HasCompatibilityFlag(const std::vector<std::string>& flags, std::string_view flag) {
  if (std::find(flags.begin(), flags.end(), flag) != flags.end()) return true;
  // nodejs_compat_v2 is Workers' name for what nodejs_compat means at current compatibility dates.
  return flag == kNodejsCompat && std::find(flags.begin(), flags.end(), "nodejs_compat_v2") != flags.end();
}

absl::Status BuiltinModules::InstallGlobals(v8::Local<v8::Context> context, v8::Local<v8::Object> env) {
  env_ = env;  // for cloudflare:workers, when imported (Exports)
  for (const FlaggedGlobals& globals : kFlaggedGlobals) {
    if (!HasCompatibilityFlag(flags_, globals.flag)) continue;
    for (std::string_view name : globals.names) {
      if (absl::Status s = DefineLazyGlobal(isolate_, context, name, globals.lazy_module); !s.ok()) return s;
    }
  }
  // process.env holds the tenant's text vars and secrets (js/lazy/node_process.js), as Workers'
  // nodejs_compat_populate_process_env, unless the tenant opts out.
  if (HasCompatibilityFlag(flags_, kNodejsCompat) &&
      !HasCompatibilityFlag(flags_, "nodejs_compat_do_not_populate_process_env")) {
    if (!internal_->Set(context, NewSymbolString(isolate_, "tenantEnv"), env).FromMaybe(false)) {
      return absl::InternalError("could not give process.env the tenant's env");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> BuiltinModules::Provides(std::string_view specifier) {
  const BuiltinModule* module = Find(specifier);
  if (module == nullptr && specifier.starts_with("node:")) {
    return absl::NotFoundError(
        "atoll has no such Node.js module (README.md \"Workers compatibility\" lists those it has)");
  }
  if (module == nullptr) return false;
  if (!module->flag.empty() && !HasCompatibilityFlag(flags_, module->flag)) {
    return absl::FailedPreconditionError(
        base::StrCat("it needs the \"", module->flag, "\" compatibility flag (compatibility_flags = [\"", module->flag,
                     "\"] in the tenant's config)"));
  }
  return true;
}

v8::MaybeLocal<v8::Object> BuiltinModules::Exports(v8::Local<v8::Context> context, std::string_view specifier) {
  const BuiltinModule* module = Find(specifier);
  v8::Local<v8::Value> require;
  if (module == nullptr || !internal_->Get(context, NewSymbolString(isolate_, "require")).ToLocal(&require) ||
      !require->IsFunction()) {
    isolate_->ThrowException(v8::Exception::Error(NewString(isolate_, base::StrCat("no built-in module ", specifier))));
    return {};
  }
  // cloudflare:workers' `env` export (js/lazy/cloudflare_workers.js) is the context's env. Set
  // only when imported: a property added to `internal` in every context costs every tenant memory.
  if (module->specifier == "cloudflare:workers" &&
      (env_.IsEmpty() || !internal_->Set(context, NewSymbolString(isolate_, "workersEnv"), env_).FromMaybe(false))) {
    isolate_->ThrowException(v8::Exception::Error(NewString(isolate_, "cloudflare:workers has no env for this context")));
    return {};
  }
  v8::Local<v8::Value> name = NewSymbolString(isolate_, module->lazy_module);
  v8::Local<v8::Value> exports;
  if (!require.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &name).ToLocal(&exports)) return {};
  if (!exports->IsObject()) {
    isolate_->ThrowException(v8::Exception::Error(
        NewString(isolate_, base::StrCat("built-in module ", specifier, " exports no object"))));
    return {};
  }
  return exports.As<v8::Object>();
}

}  // namespace atl::bindings
