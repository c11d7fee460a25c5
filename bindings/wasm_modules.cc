#include "bindings/wasm_modules.h"

#include <map>
#include <mutex>

#include "base/files.h"
#include "base/limits.h"
#include "base/lru_by_bytes.h"
#include "base/strings.h"
#include "bindings/wasm_global.h"
#include "cache/content_hash.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// Compiled modules by SHA-256 of their bytes, for the whole process; and, so that a context does
// not read and hash the file again, the hash of each path as of its size and modification time.
// The tenants' modules are bounded by their bytes (SetWasmModuleCacheLimit), least recently used
// first; a dropped one takes the paths that named it along.
struct Registry {
  struct FileKey {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    std::string hash;
  };
  std::mutex mutex;
  // By SHA-256, or "builtin:NAME" (pinned), bounded by module (wire) bytes.
  base::LruByBytes<std::shared_ptr<v8::CompiledWasmModule>> by_hash{size_t{limits::CodeCacheLimits().wasm_mb} << 20};
  std::map<std::filesystem::path, FileKey> by_path;
  int compilations = 0;

  // The module under `key`, now the most recently used; null if none.
  std::shared_ptr<v8::CompiledWasmModule> Find(const std::string& key) {
    auto* found = by_hash.Find(key);
    return found != nullptr ? *found : nullptr;
  }

  void Add(const std::string& key, std::shared_ptr<v8::CompiledWasmModule> compiled, bool builtin) {
    if (by_hash.Find(key) != nullptr) return;  // another isolate compiled it meanwhile
    ++compilations;
    size_t bytes = compiled->GetWireBytesRef().size();
    Forget(by_hash.Put(key, std::move(compiled), bytes, /*pinned=*/builtin));
  }

  // The paths that named modules just dropped.
  void Forget(const std::vector<std::string>& dropped) {
    for (const std::string& hash : dropped) {
      std::erase_if(by_path, [&](const auto& entry) { return entry.second.hash == hash; });
    }
  }
};

Registry& Modules() {
  static Registry* registry = new Registry();
  return *registry;
}

// The module under `key` in the registry: `compiled` shared into this isolate if given, else
// `bytes` compiled (and registered under `key` for every other isolate). `label` names it in
// errors; `invalid` is the prefix of a compile error.
absl::StatusOr<v8::Local<v8::WasmModuleObject>> ShareOrCompile(v8::Isolate* isolate, const std::string& key,
                                                               std::shared_ptr<v8::CompiledWasmModule> compiled,
                                                               std::string_view bytes, std::string_view label,
                                                               std::string_view invalid, bool invalid_argument) {
  Registry& registry = Modules();
  v8::EscapableHandleScope handles(isolate);
  EnsureWebAssembly(isolate, isolate->GetCurrentContext());
  v8::Local<v8::WasmModuleObject> module;
  if (compiled) {
    if (!v8::WasmModuleObject::FromCompiledModule(isolate, *compiled).ToLocal(&module)) {
      return absl::InternalError(base::StrCat(label, ": the compiled module could not be shared"));
    }
    return handles.Escape(module);
  }
  v8::TryCatch try_catch(isolate);
  v8::MemorySpan<const uint8_t> wire(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!v8::WasmModuleObject::Compile(isolate, wire).ToLocal(&module)) {
    std::string message = base::StrCat(label, ": ", invalid, isolates::DescribeException(isolate, try_catch));
    return invalid_argument ? absl::InvalidArgumentError(message) : absl::InternalError(message);
  }
  {
    std::lock_guard lock(registry.mutex);
    registry.Add(key, std::make_shared<v8::CompiledWasmModule>(module->GetCompiledModule()), key.starts_with("builtin:"));
  }
  return handles.Escape(module);
}

}  // namespace

absl::StatusOr<v8::Local<v8::WasmModuleObject>> WasmModuleFor(v8::Isolate* isolate, const std::filesystem::path& path) {
  Registry& registry = Modules();
  std::error_code error;
  auto mtime = std::filesystem::last_write_time(path, error);
  uintmax_t size = error ? 0 : std::filesystem::file_size(path, error);
  std::shared_ptr<v8::CompiledWasmModule> compiled;
  if (!error) {
    std::lock_guard lock(registry.mutex);
    auto known = registry.by_path.find(path);
    if (known != registry.by_path.end() && known->second.mtime == mtime && known->second.size == size) {
      compiled = registry.Find(known->second.hash);
    }
  }
  absl::StatusOr<std::string> bytes;
  std::string hash;
  if (!compiled) {
    bytes = base::ReadFile(path);
    if (!bytes.ok()) return absl::NotFoundError(base::StrCat(path.filename().string(), ": cannot read the file"));
    // Errors never quote the file's bytes (V8's would quote the first ones): the file may be
    // anything, and the message may go back to whoever deployed it.
    if (!bytes->starts_with(std::string_view("\0asm\x01\0\0\0", 8))) {
      return absl::InvalidArgumentError(base::StrCat(
          path.filename().string(), ": not a WebAssembly module (it does not start with the \\0asm version 1 header)"));
    }
    hash = cache::Sha256Hex({*bytes});
    std::lock_guard lock(registry.mutex);
    if (!error) registry.by_path[path] = {mtime, size, hash};
    compiled = registry.Find(hash);
  }
  return ShareOrCompile(isolate, hash, compiled, bytes.ok() ? std::string_view(*bytes) : std::string_view(),
                        path.filename().string(), "not a valid WebAssembly module: ", true);
}

absl::StatusOr<v8::Local<v8::WasmModuleObject>> BuiltinWasmModule(v8::Isolate* isolate, std::string_view name,
                                                                  std::string_view bytes) {
  Registry& registry = Modules();
  // Keyed apart from the SHA-256 keys of tenant files: "builtin:" never is a hex digest.
  std::string key = base::StrCat("builtin:", name);
  std::shared_ptr<v8::CompiledWasmModule> compiled;
  {
    std::lock_guard lock(registry.mutex);
    compiled = registry.Find(key);
  }
  return ShareOrCompile(isolate, key, compiled, bytes, name, "", false);
}

void SetWasmModuleCacheLimit(size_t bytes) {
  std::lock_guard lock(Modules().mutex);
  Modules().Forget(Modules().by_hash.SetLimit(bytes));
}

size_t WasmModuleCacheBytes() {
  std::lock_guard lock(Modules().mutex);
  return Modules().by_hash.bytes();
}

int WasmCompilations() {
  std::lock_guard lock(Modules().mutex);
  return Modules().compilations;
}

}  // namespace atl::bindings
