// A tenant's `import(specifier)` at run time (V8's HostImportModuleDynamicallyCallback): the
// built-in modules a static import gets (builtin_modules.h: node:* under nodejs_compat,
// cloudflare:workers, cloudflare:sockets), as bundled Workers code imports them lazily
// (postgres.js: `await import("cloudflare:sockets")`). Files and npm packages are not loaded at
// run time: a bundler inlines the import() of what it bundles, so only externals remain.
#include "base/strings.h"
#include "bindings/builtin_modules.h"
#include "bindings/native_scope.h"
#include "bindings/tenant_imports.h"
#include "bindings/worker.h"
#include "isolates/script_loader.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

v8::MaybeLocal<v8::Promise> Worker::ImportDynamically(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                                      v8::Local<v8::Value>, v8::Local<v8::String> specifier,
                                                      v8::Local<v8::FixedArray>) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  auto* self = static_cast<Worker*>(isolate->GetData(kWorkerIsolateSlot));
  ContextState* state = self != nullptr ? self->CurrentState() : nullptr;  // `context`: the one running
  std::string name = isolates::ToUtf8(isolate, specifier);
  absl::StatusOr<v8::Local<v8::Value>> ns = absl::InternalError("import() is not available here");
  if (self != nullptr && state != nullptr) {
    BuiltinModules builtins(isolate, state->internal.Get(isolate), self->options_.compatibility_flags);
    builtins.set_env(state->env.Get(isolate));
    TenantImports imports(&builtins, &self->module_rules_);
    isolates::ScriptLoader loader(self->code_cache_, nullptr, &imports);
    ns = loader.ImportBuiltin(context, name);
  }
  bool settled = ns.ok() ? resolver->Resolve(context, *ns).FromMaybe(false)
                         : resolver->Reject(context, v8::Exception::TypeError(isolates::NewString(
                                                          isolate, base::ToStd(ns.status().message()))))
                               .FromMaybe(false);
  if (!settled) return {};
  return scope.Escape(resolver->GetPromise());
}

}  // namespace atl::bindings
