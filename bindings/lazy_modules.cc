#include "bindings/lazy_modules.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/strings.h"
#include "bindings/native_scope.h"
#include "bindings/registry.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;
using isolates::NewSymbolString;

// Code caches of the lazy modules, shared by every isolate of the process.
struct ModuleCaches {
  std::mutex mutex;
  // Shared, not copied: a module is loaded in every context that uses it.
  // The same bytes as the process's CodeCache entry, when the module came from there.
  std::map<std::string, cache::CodeCache::Blob, std::less<>> by_name;
  int compiles = 0;
  int loads = 0;
};

ModuleCaches& Caches() {
  static ModuleCaches* caches = new ModuleCaches();
  return *caches;
}

// Loading a module is the platform's work, not the tenant's: its CPU is not charged to the run
// that needed it (Worker::EnterPlatform).
class PlatformWork {
 public:
  explicit PlatformWork(Worker* worker) : worker_(worker) {
    if (worker_ != nullptr) worker_->EnterPlatform();
  }
  ~PlatformWork() {
    if (worker_ != nullptr) worker_->ExitPlatform();
  }
  PlatformWork(const PlatformWork&) = delete;
  PlatformWork& operator=(const PlatformWork&) = delete;

 private:
  Worker* worker_;
};

// A module's source as a V8 string that points at the text in the binary (build.mjs checks it is
// ASCII) instead of copying it onto every isolate's heap that loads it (82 KB for streams).
class StaticSource : public v8::String::ExternalOneByteStringResource {
 public:
  explicit StaticSource(std::string_view text) : text_(text) {}
  const char* data() const override { return text_.data(); }
  size_t length() const override { return text_.size(); }

 private:
  std::string_view text_;
};

// The sources of the modules the snapshots' contexts (runtime_snapshot.h) hold, one resource each
// per process and never freed: the snapshot refers to a script's external source by its resource's
// index among the external references, instead of copying the text into every isolate made
// from it.
class SharedSource : public StaticSource {
 public:
  using StaticSource::StaticSource;
  void Dispose() override {}  // shared by every isolate
};

// The runtime blob's context holds the first two; the streams blob's all five.
constexpr std::string_view kSnapshotModules[] = {"url", "encoding", "navigator", "safe_calls", "dom_exception", "streams"};
constexpr size_t kRuntimeSnapshotModules = 3;

const std::vector<SharedSource*>& SharedSources() {
  static const std::vector<SharedSource*>* sources = [] {
    auto* list = new std::vector<SharedSource*>();
    for (std::string_view name : kSnapshotModules) list->push_back(new SharedSource(LazyModuleSource(name)));
    return list;
  }();
  return *sources;
}

// A new resource for `name`'s source: the shared one for the snapshots' modules.
v8::String::ExternalOneByteStringResource* SourceResource(std::string_view name, std::string_view text) {
  for (size_t i = 0; i < std::size(kSnapshotModules); ++i) {
    if (kSnapshotModules[i] == name) return SharedSources()[i];
  }
  return new StaticSource(text);
}

thread_local bool compile_lazily = false;

// The key of module `name`'s entry in the process's CodeCache: its text as the body of the
// function LoadModule makes, this V8, these flags.
std::string DiskKey(std::string_view name, std::string_view text) {
  return cache::CodeCache::KeyFor(base::StrCat("atoll:lazy/", name, "(native, internal, module, exports)\n", text),
                                  isolates::V8Version(), isolates::V8Flags());
}

// native.loadModule(name, native, internal): compiles the module as the body of
// `function (native, internal, module, exports)`, runs it and returns `module.exports`. Its code
// cache is kept per process and, through the worker's CodeCache, in data_dir: a process after
// the first on the same data_dir (a restart, a reload's new workers) compiles it from there.
void LoadModule(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  PlatformWork platform(worker);
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  std::string name = isolates::ToUtf8(isolate, info[0]);
  std::string_view text = LazyModuleSource(name);
  if (text.empty()) {
    ThrowTypeError(isolate, base::StrCat("no built-in module ", name));
    return;
  }
  ModuleCaches& caches = Caches();
  cache::CodeCache::Blob cached;
  {
    std::lock_guard lock(caches.mutex);
    ++caches.loads;
    auto it = caches.by_name.find(name);
    if (it != caches.by_name.end()) cached = it->second;
  }
  // The process's first load of it: another process on the same data_dir may have made it.
  cache::CodeCache* code_cache = worker != nullptr && !compile_lazily ? worker->code_cache() : nullptr;
  std::string disk_key;
  if (cached == nullptr && code_cache != nullptr) {
    disk_key = DiskKey(name, text);
    if ((cached = code_cache->Find(disk_key))) {
      std::lock_guard lock(caches.mutex);
      caches.by_name.try_emplace(name, cached);
    }
  }
  v8::ScriptOrigin origin(isolate, NewString(isolate, base::StrCat("atoll:lazy/", name, ".js")));
  v8::ScriptCompiler::CachedData* data =
      cached == nullptr ? nullptr
                        : new v8::ScriptCompiler::CachedData(cached->data(), static_cast<int>(cached->size()));
  v8::Local<v8::String> source_text;
  // V8 deletes the resource when the string dies (the shared ones ignore it).
  if (!v8::String::NewExternalOneByte(isolate, SourceResource(name, text)).ToLocal(&source_text)) return;
  v8::ScriptCompiler::Source source(source_text, origin, data);  // owns `data`
  v8::Local<v8::String> params[] = {NewSymbolString(isolate, "native"), NewSymbolString(isolate, "internal"),
                                    NewSymbolString(isolate, "module"), NewSymbolString(isolate, "exports")};
  v8::Local<v8::Function> fn;
  // The process's first load compiles every function of the module eagerly, so the code cache
  // made from it holds them all: a first call in another isolate (new Blob() on a cold tenant)
  // then compiles nothing on the tenant's CPU budget. Measured when url, streams and encoding
  // were loaded this way: ~0.5 MB of heap in an isolate that loads all three, and half of what a
  // cold request using them was charged.
  // Not under a LazyCompileScope (the snapshot builder).
  v8::ScriptCompiler::CompileOptions options = data             ? v8::ScriptCompiler::kConsumeCodeCache
                                               : compile_lazily ? v8::ScriptCompiler::kNoCompileOptions
                                                                : v8::ScriptCompiler::kEagerCompile;
  if (!v8::ScriptCompiler::CompileFunction(context, &source, 4, params, 0, nullptr, options).ToLocal(&fn)) {
    return;
  }
  bool rejected = data != nullptr && source.GetCachedData()->rejected;
  v8::Local<v8::Object> module = v8::Object::New(isolate);
  v8::Local<v8::Object> exports = v8::Object::New(isolate);
  v8::Local<v8::String> exports_key = NewSymbolString(isolate, "exports");
  if (module->Set(context, exports_key, exports).IsNothing()) return;
  v8::Local<v8::Value> args[] = {info[1], info[2], module, exports};
  if (fn->Call(context, v8::Undefined(isolate), 4, args).IsEmpty()) return;
  if (data == nullptr || rejected) {
    // Made after the module ran, so the functions its top level compiled are included.
    std::unique_ptr<v8::ScriptCompiler::CachedData> made(v8::ScriptCompiler::CreateCodeCacheForFunction(fn));
    cache::CodeCache::Blob blob;
    if (made && code_cache != nullptr) {
      if (disk_key.empty()) disk_key = DiskKey(name, text);
      code_cache->Insert(disk_key, std::vector<uint8_t>(made->data, made->data + made->length));
      blob = code_cache->Find(disk_key);  // the entry just kept: its bytes serve this process too
    }
    if (made && blob == nullptr) blob = std::make_shared<const std::vector<uint8_t>>(made->data, made->data + made->length);
    std::lock_guard lock(caches.mutex);
    ++caches.compiles;
    if (blob) caches.by_name[name] = std::move(blob);
  }
  v8::Local<v8::Value> result;
  if (module->Get(context, exports_key).ToLocal(&result)) info.GetReturnValue().Set(result);
}

// Context embedder data slot holding internal.require (the Worker's ContextState is slot 2).
// The getter's data cannot hold it: V8 shares an accessor's data between every context made
// from the snapshot, so a function there would run in the snapshot builder's context.
constexpr int kRequireSlot = 3;

// The getter behind a lazy global: data is the module's name; returns
// require(module)[property]. V8 then replaces the property with the value.
void LazyGlobalGetter(v8::Local<v8::Name> property, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> require = context->GetEmbedderData(kRequireSlot);
  v8::Local<v8::Value> module_name = info.Data();
  v8::Local<v8::Value> exports, value;
  if (!require->IsFunction() ||
      !require.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &module_name).ToLocal(&exports) ||
      !exports->IsObject() || !exports.As<v8::Object>()->Get(context, property).ToLocal(&value)) {
    return;
  }
  info.GetReturnValue().Set(value);
}

}  // namespace

void InstallLazyModules(NativeScope& scope) {
  scope.SetFunction("loadModule", LoadModule);
  scope.AddReference(reinterpret_cast<intptr_t>(LazyGlobalGetter));
}

absl::Status InstallLazyGlobals(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Local<v8::Value> require;
  if (!internal->Get(context, NewSymbolString(isolate, "require")).ToLocal(&require) || !require->IsFunction()) {
    return absl::InternalError("bindings did not define internal.require");
  }
  context->SetEmbedderData(kRequireSlot, require);
  v8::Local<v8::Object> global = context->Global();
  for (const BindingUnit& unit : BindingUnits()) {
    if (unit.lazy_module.empty()) continue;
    if (LazyModuleSource(unit.lazy_module).empty()) {
      return absl::InternalError(base::StrCat("missing lazy module ", unit.lazy_module));
    }
    v8::Local<v8::String> data = NewSymbolString(isolate, unit.lazy_module);
    for (std::string_view name : unit.lazy_globals) {
      if (!global->SetLazyDataProperty(context, NewSymbolString(isolate, name), LazyGlobalGetter, data, v8::DontEnum)
               .FromMaybe(false)) {
        return absl::InternalError(base::StrCat("could not define global ", name));
      }
    }
  }
  return absl::OkStatus();
}

namespace {
// DefineLazyGlobal's (name, module) pairs: names are string literals of builtin_modules.cc.
std::mutex defined_mutex;
std::vector<std::pair<std::string_view, std::string_view>>& Defined() {
  static auto* defined = new std::vector<std::pair<std::string_view, std::string_view>>();
  return *defined;
}
}  // namespace

std::vector<std::string_view> LazyGlobalNames() {
  std::vector<std::string_view> out;
  for (const BindingUnit& unit : BindingUnits()) {
    for (std::string_view name : unit.lazy_globals) {
      out.push_back(name);
      out.push_back(unit.lazy_module);
    }
  }
  std::lock_guard lock(defined_mutex);
  for (auto [name, module] : Defined()) {
    out.push_back(name);
    out.push_back(module);
  }
  return out;
}

absl::Status DefineLazyGlobal(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string_view name,
                              std::string_view module) {
  if (LazyModuleSource(module).empty()) return absl::InternalError(base::StrCat("missing lazy module ", module));
  {
    std::lock_guard lock(defined_mutex);
    auto& defined = Defined();
    if (std::find(defined.begin(), defined.end(), std::pair{name, module}) == defined.end()) defined.emplace_back(name, module);
  }
  if (!context->Global()
           ->SetLazyDataProperty(context, NewSymbolString(isolate, name), LazyGlobalGetter,
                                 NewSymbolString(isolate, module), v8::DontEnum)
           .FromMaybe(false)) {
    return absl::InternalError(base::StrCat("could not define global ", name));
  }
  return absl::OkStatus();
}

v8::MaybeLocal<v8::Value> RequireLazyModule(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            std::string_view module) {
  v8::Local<v8::Value> require = context->GetEmbedderData(kRequireSlot);
  if (!require->IsFunction()) return {};
  v8::Local<v8::Value> name = NewSymbolString(isolate, module);
  return require.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &name);
}

std::span<const std::string_view> SnapshotModules(bool streams) {
  return std::span<const std::string_view>(kSnapshotModules).first(streams ? std::size(kSnapshotModules)
                                                                           : kRuntimeSnapshotModules);
}

void AddSharedSourceReferences(std::vector<intptr_t>* references) {
  for (SharedSource* source : SharedSources()) references->push_back(reinterpret_cast<intptr_t>(source));
}

LazyCompileScope::LazyCompileScope() : previous_(compile_lazily) { compile_lazily = true; }
LazyCompileScope::~LazyCompileScope() { compile_lazily = previous_; }

int LazyModuleLoadsForTesting() {
  std::lock_guard lock(Caches().mutex);
  return Caches().loads;
}

int LazyModuleCompilesForTesting() {
  std::lock_guard lock(Caches().mutex);
  return Caches().compiles;
}

}  // namespace atl::bindings
