#pragma once
// WebAssembly module bindings (`[tenants.wasm] NAME = "file.wasm"` gives env.NAME, a
// WebAssembly.Module): each distinct file is compiled once per process and its compiled code
// (v8::CompiledWasmModule, V8's NativeModule) is shared by every isolate that binds it; another
// isolate gets a WebAssembly.Module over the same code without compiling anything.

#include <v8.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::bindings {

// The module of `path` for `isolate` (which must have a current context). The first request for
// a file's content compiles it; later ones, in any isolate, reuse that compilation. Errors name
// the file (unreadable, or not valid WebAssembly with V8's message).
absl::StatusOr<v8::Local<v8::WasmModuleObject>> WasmModuleFor(v8::Isolate* isolate, const std::filesystem::path& path);

// The module of a built-in's Wasm `bytes` (embedded in the binary, e.g. HTMLRewriter's lol-html),
// known by `name`: compiled by the process's first request, shared by every isolate after that.
absl::StatusOr<v8::Local<v8::WasmModuleObject>> BuiltinWasmModule(v8::Isolate* isolate, std::string_view name,
                                                                  std::string_view bytes);

// How many Wasm compilations this process has made (one per distinct module content).
int WasmCompilations();

// The tenants' compiled modules kept for sharing, at most `bytes` of module (wire) bytes, least
// recently used out first: every deploy of a changed module adds one. An isolate keeps the code
// of the modules it bound whatever the registry drops; a later isolate compiles an evicted one
// again. The built-ins' modules are always kept. Default: limits::CodeCacheLimits::wasm_mb.
void SetWasmModuleCacheLimit(size_t bytes);
// Module bytes the registry keeps for the tenants' modules now.
size_t WasmModuleCacheBytes();

}  // namespace atl::bindings
