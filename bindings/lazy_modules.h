#pragma once
// Built-ins loaded on first use. Most Web APIs (crypto, events, Blob, ...) are bundled JS that a
// given tenant may never touch; baking them into the startup snapshot would make every context
// bigger and slower to deserialize. Instead each such global starts as a lazy data property
// (v8::Object::SetLazyDataProperty): the first read of `crypto` loads module "crypto" (bundled
// from bindings/js/lazy/ by esbuild at build time), and the property becomes a plain data
// property. The snapshot builder reads the globals of SnapshotModules() (url, encoding, and in
// the streams blob streams), so those are loaded already in every context made from it.
// A module is evaluated at most once per context; its bytecode is compiled once per data_dir (or
// per process without one) and shared through a V8 code cache.

#include <v8.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace atl::bindings {

class NativeScope;

// The bundled source of lazy module `name`, empty if there is none (generated at build time).
std::string_view LazyModuleSource(std::string_view name);

// native.loadModule(name, native, internal) -> the module's exports object.
void InstallLazyModules(NativeScope& scope);

// Defines every lazy global of the registry's units on `context`'s global object; `internal`
// must already hold `require` (js/02_require.js).
absl::Status InstallLazyGlobals(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal);

// Defines one lazy global on `context` (after InstallLazyGlobals): its first read returns
// require(module)[name]. For globals only some tenants have (nodejs_compat's Buffer).
absl::Status DefineLazyGlobal(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string_view name,
                              std::string_view module);

// internal.require(module) in `context` (set by InstallLazyGlobals): the module's exports.
v8::MaybeLocal<v8::Value> RequireLazyModule(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            std::string_view module);

// Every lazy global and its module: the registry's and those DefineLazyGlobal defined so far, as
// [name, module, name, module, ...] (for js/lazy/lockdown.js, which must not read them).
std::vector<std::string_view> LazyGlobalNames();

// The modules the runtime snapshot's context has loaded (runtime_snapshot.h; `streams`: the
// streams blob's), their shared source resources added to the external references in this order.
std::span<const std::string_view> SnapshotModules(bool streams);
// Appends those modules' source resources: a script of theirs in the snapshot points at them.
void AddSharedSourceReferences(std::vector<intptr_t>* references);

// While one is alive on this thread, a lazy module loaded without a code cache compiles lazily
// (bytecode only for the functions that run) instead of eagerly. For the snapshot builder: every
// function with bytecode is deserialized into each isolate made from the snapshot.
class LazyCompileScope {
 public:
  LazyCompileScope();
  ~LazyCompileScope();
  LazyCompileScope(const LazyCompileScope&) = delete;
  LazyCompileScope& operator=(const LazyCompileScope&) = delete;

 private:
  bool previous_;
};

// How many times this process loaded a lazy module into a context (for tests).
int LazyModuleLoadsForTesting();

// How many times this process compiled a lazy module without a code cache (for tests).
int LazyModuleCompilesForTesting();

}  // namespace atl::bindings
