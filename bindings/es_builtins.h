#pragma once
// ES2023+ built-ins that V8 10.2 lacks (Promise.withResolvers, Object.groupBy, Map.groupBy,
// Array.fromAsync, change-array-by-copy, Set methods, well-formed strings, ArrayBuffer transfer,
// iterator helpers), from core-js (lazy module es_builtins, js/lazy/es_builtins.js). The
// snapshot holds one placeholder per missing property: a native data property (JS sees a
// writable, configurable, non-enumerable data property) whose first read in a context loads the
// module, which installs every one of them as core-js does, then answers with the real value.
// A context that never reads one pays only the placeholders (the same objects for every context
// deserialized from the snapshot).

#include <v8.h>

#include "absl/status/status.h"

namespace atl::bindings {

class NativeScope;

// Lists the placeholders' getter among the snapshot's external references (no natives).
void InstallEsBuiltins(NativeScope& scope);

// Defines the placeholders in `context` (when the snapshot is made, after InstallLazyGlobals).
// A property the engine already has is left alone.
absl::Status DefineEsBuiltinPlaceholders(v8::Isolate* isolate, v8::Local<v8::Context> context);

}  // namespace atl::bindings
