#pragma once
// The WebAssembly global, built on first use. V8 10.2 builds the WebAssembly namespace (its
// constructors, prototypes and ~40 functions, each from a fresh FunctionTemplate) at run time in
// every new context, outside the snapshot: ~20% of a context made from atoll's snapshot, paid by
// every per_request request. atoll runs V8 with --no-expose-wasm (isolates/platform.cc), which
// skips that, and the snapshot defines `WebAssembly` instead as an accessor that builds the
// namespace in its context on first read, with V8's own code (v8::internal::WasmJs::Install,
// exported by libnode; the V8 version is pinned, see isolates/platform.h), then gets out of the
// way: the global becomes the namespace V8 made, as if V8 had made it at context creation.

#include <v8.h>

#include "absl/status/status.h"

namespace atl::bindings {

class NativeScope;

// Lists the accessor's getter among the snapshot's external references (no natives).
void InstallWasmGlobal(NativeScope& scope);

// Defines the WebAssembly accessor on `context`'s global object (when the snapshot is made).
absl::Status DefineLazyWebAssembly(v8::Isolate* isolate, v8::Local<v8::Context> context);

// Makes sure `context` has the WebAssembly constructors V8's Wasm API needs (v8::WasmModuleObject):
// builds the global if it is still the accessor. Call before tenant code runs in the context.
void EnsureWebAssembly(v8::Isolate* isolate, v8::Local<v8::Context> context);

}  // namespace atl::bindings
