#include "isolates/script_loader.h"

#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/files.h"
#include "base/strings.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::isolates {
namespace {

namespace fs = std::filesystem;

// The loader resolving imports right now: V8's resolve callback carries no data pointer.
thread_local ScriptLoader* t_current_loader = nullptr;

// Compiles with a cached blob if there is one, and stores a fresh one if there was none or V8
// rejected it. `compile` gets the CachedData (or nullptr) and returns the compiled thing. `kind`
// keeps a classic script's cache apart from a module's made from the same source.
template <typename T, typename Compile, typename MakeCache>
v8::MaybeLocal<T> CompileCached(cache::CodeCache* code_cache, const std::string& key, Compile compile,
                                MakeCache make_cache) {
  cache::CodeCache::Blob blob = code_cache ? code_cache->Find(key) : nullptr;
  v8::ScriptCompiler::CachedData* data =
      blob ? new v8::ScriptCompiler::CachedData(blob->data(), static_cast<int>(blob->size()))
           : nullptr;
  bool rejected = false;
  v8::MaybeLocal<T> result = compile(data, &rejected);
  if (code_cache && !result.IsEmpty()) {
    auto& stats = code_cache->stats();
    (blob != nullptr && !rejected ? stats.hits : stats.compiles).fetch_add(1, std::memory_order_relaxed);
    if (rejected) stats.rejected.fetch_add(1, std::memory_order_relaxed);
  }
  if (code_cache && !result.IsEmpty() && (blob == nullptr || rejected)) {
    std::unique_ptr<v8::ScriptCompiler::CachedData> fresh(make_cache(result.ToLocalChecked()));
    if (fresh) code_cache->Insert(key, std::vector<uint8_t>(fresh->data, fresh->data + fresh->length));
  }
  return result;
}

// The code cache key of each file (and kind) the process loaded last, with the source it was
// computed from: a new isolate of the same script (after an eviction, a pool of its own, a
// per-request context of another Worker) compares the source instead of hashing it again.
// SHA-256 of Hono's 72 KB bundle is ~2M instructions, ~10% of a cold isolate's whole request
// (callgrind, bench/turnover); a comparison is a memcmp. Exact: a file whose bytes changed is
// hashed again. Bounded: past kMaxBytes of sources the memo starts over. Every deploy is a new
// file whose entry stays until then (a 72 KB bundle deployed 1,000 times is 72 MB), so the bound
// is what a worker's live scripts usually take, not more: past it, only re-hashing comes back.
class ProcessKeyMemo {
 public:
  static ProcessKeyMemo& Get() {
    static ProcessKeyMemo* memo = new ProcessKeyMemo();
    return *memo;
  }

  // The key `make` computes for `source`, made once per distinct source of `file`.
  template <typename Make>
  std::string KeyFor(const std::string& file, std::string_view source, Make make) {
    {
      std::lock_guard lock(mutex_);
      auto it = by_file_.find(file);
      if (it != by_file_.end() && it->second.first == source) return it->second.second;
    }
    std::string key = make();
    std::lock_guard lock(mutex_);
    ++hashes_;
    if (bytes_ + source.size() > kMaxBytes) {
      by_file_.clear();
      bytes_ = 0;
    }
    auto [it, added] = by_file_.try_emplace(file);
    if (!added) bytes_ -= it->second.first.size();
    it->second = {std::string(source), key};
    bytes_ += source.size();
    return key;
  }

  int hashes() {
    std::lock_guard lock(mutex_);
    return hashes_;
  }

 private:
  static constexpr size_t kMaxBytes = 64u << 20;
  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> by_file_;  // file -> {source, key}
  size_t bytes_ = 0;
  int hashes_ = 0;
};

}  // namespace

int ScriptLoader::SourceHashesForTesting() { return ProcessKeyMemo::Get().hashes(); }

std::string ScriptLoader::CacheKey(const fs::path& path, std::string_view kind, std::string_view source) {
  // Hashing the source is the costly part; a Worker loading the same files into context after
  // context looks its key up by file and kind, other Workers compare the source (ProcessKeyMemo).
  std::string memo_key = base::StrCat(kind, " ", path.string());
  if (memo_ != nullptr) {
    auto it = memo_->cache_keys.find(memo_key);
    if (it != memo_->cache_keys.end()) return it->second;
  }
  std::string key = ProcessKeyMemo::Get().KeyFor(memo_key, source, [&] {
    return cache::CodeCache::KeyFor(source, V8Version(), base::StrCat(V8Flags(), " ", kind));
  });
  if (memo_ != nullptr) memo_->cache_keys[memo_key] = key;
  return key;
}

absl::StatusOr<std::string> ScriptLoader::ReadSource(const fs::path& path) {
  if (memo_ != nullptr) {
    auto it = memo_->sources.find(path.string());
    if (it != memo_->sources.end()) return it->second;
  }
  absl::StatusOr<std::string> source = base::ReadFile(path);
  if (source.ok() && memo_ != nullptr) memo_->sources[path.string()] = *source;
  return source;
}

absl::StatusOr<v8::Local<v8::Value>> ScriptLoader::Load(v8::Local<v8::Context> context,
                                                        const fs::path& script_path,
                                                        v8::Local<v8::Object> classic_globals) {
  v8::Isolate* isolate = context->GetIsolate();
  fs::path path;
  if (memo_ != nullptr && !memo_->canonical_script.empty()) {
    path = memo_->canonical_script;
  } else {
    std::error_code ec;
    path = fs::weakly_canonical(fs::absolute(script_path), ec);
    if (ec) return absl::NotFoundError(base::StrCat(script_path.string(), ": ", ec.message()));
    if (memo_ != nullptr) memo_->canonical_script = path.string();
  }
  root_ = path.parent_path();
  absl::StatusOr<std::string> source = ReadSource(path);
  if (!source.ok()) return source.status();

  v8::EscapableHandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> source_string = NewString(isolate, *source);
  v8::Local<v8::String> name = NewString(isolate, DisplayName(path));

  // A classic script first: if it compiles, it is a service-worker script.
  // ...unless it is known to be a module, or its module code is in the cache already.
  bool known_module = memo_ && memo_->is_module.has_value()
                          ? *memo_->is_module
                          : code_cache_ && code_cache_->Find(CacheKey(path, "module", *source)) != nullptr;
  v8::ScriptOrigin classic_origin(isolate, name);
  v8::MaybeLocal<v8::Script> classic;
  std::string classic_key = known_module ? std::string() : CacheKey(path, "classic", *source);
  if (!known_module) classic = CompileCached<v8::Script>(
      code_cache_, classic_key,
      [&](v8::ScriptCompiler::CachedData* data, bool* rejected) {
        v8::ScriptCompiler::Source src(source_string, classic_origin, data);
        auto options = data ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
        v8::MaybeLocal<v8::Script> script = v8::ScriptCompiler::Compile(context, &src, options);
        *rejected = data && src.GetCachedData()->rejected;
        return script;
      },
      [](v8::Local<v8::Script> script) { return v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript()); });
  if (memo_ != nullptr) memo_->is_module = classic.IsEmpty();
  if (memo_ != nullptr && !classic.IsEmpty()) {
    memo_->compiled.Remember(isolate, classic_key, classic.ToLocalChecked()->GetUnboundScript());
  }
  if (!classic.IsEmpty()) {
    v8::Local<v8::Array> names;
    if (!classic_globals.IsEmpty() && classic_globals->GetOwnPropertyNames(context).ToLocal(&names)) {
      v8::Local<v8::Object> global = context->Global();
      for (uint32_t i = 0; i < names->Length(); ++i) {
        v8::Local<v8::Value> key, value;
        if (!names->Get(context, i).ToLocal(&key) || !key->IsName() ||
            !classic_globals->Get(context, key).ToLocal(&value) ||
            global->CreateDataProperty(context, key.As<v8::Name>(), value).IsNothing()) {
          return absl::InternalError(DescribeException(isolate, try_catch));
        }
      }
    }
    if (classic.ToLocalChecked()->Run(context).IsEmpty()) {
      return absl::InvalidArgumentError(DescribeException(isolate, try_catch));
    }
    return scope.Escape(v8::Local<v8::Value>(v8::Undefined(isolate)));
  }
  try_catch.Reset();

  absl::StatusOr<v8::Local<v8::Module>> module = LoadModuleGraph(context, path, &*source);
  if (!module.ok()) return module.status();
  ScriptLoader* previous = t_current_loader;
  t_current_loader = this;
  bool instantiated = (*module)->InstantiateModule(context, &ResolveCallback).FromMaybe(false);
  v8::Local<v8::Value> result;
  bool evaluated = instantiated && (*module)->Evaluate(context).ToLocal(&result);
  t_current_loader = previous;
  if (!evaluated) return absl::InvalidArgumentError(DescribeException(isolate, try_catch));
  isolate->PerformMicrotaskCheckpoint();
  if ((*module)->GetStatus() == v8::Module::kErrored) {
    v8::Local<v8::Value> error = (*module)->GetException();
    return absl::InvalidArgumentError(base::StrCat(DisplayName(path), ": ", ToUtf8(isolate, error)));
  }
  if (result->IsPromise() && result.As<v8::Promise>()->State() == v8::Promise::kPending) {
    return absl::InvalidArgumentError(base::StrCat(DisplayName(path), ": top-level await did not settle"));
  }
  return scope.Escape((*module)->GetModuleNamespace());
}

absl::StatusOr<v8::Local<v8::Module>> ScriptLoader::LoadModuleGraph(v8::Local<v8::Context> context,
                                                                    const fs::path& path,
                                                                    const std::string* known_source,
                                                                    const fs::path* referrer,
                                                                    std::string_view specifier) {
  v8::Isolate* isolate = context->GetIsolate();
  if (LoadedModule* loaded = FindByPath(path)) return loaded->module.Get(isolate);
  if (!path.is_absolute()) return LoadHostModule(context, path.string());
  std::string read_source;
  if (known_source == nullptr) {
    absl::StatusOr<std::string> source = ReadSource(path);
    if (!source.ok()) {
      if (referrer == nullptr) return absl::NotFoundError(base::StrCat("cannot read module \"", DisplayName(path), "\""));
      return absl::NotFoundError(base::StrCat(DisplayName(*referrer), ": cannot import \"", specifier, "\": there is no file \"",
                                              DisplayName(path), "\" in the script's folder"));
    }
    read_source = std::move(*source);
    known_source = &read_source;
  }
  auto type = file_types_.find(path.string());
  if (referrer != nullptr && type != file_types_.end() && type->second != ImportHost::FileType::kJavaScript) {
    return LoadFileModule(context, path, type->second, *known_source,
                          base::StrCat(DisplayName(*referrer), ": import \"", specifier, "\""));
  }
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> source_string = NewString(isolate, *known_source);
  v8::ScriptOrigin origin(isolate, NewString(isolate, DisplayName(path)), 0, 0, false, -1,
                          v8::Local<v8::Value>(), false, false, /*is_module=*/true);
  std::string key = CacheKey(path, "module", *known_source);
  v8::MaybeLocal<v8::Module> compiled = CompileCached<v8::Module>(
      code_cache_, key,
      [&](v8::ScriptCompiler::CachedData* data, bool* rejected) {
        v8::ScriptCompiler::Source src(source_string, origin, data);
        auto options = data ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
        v8::MaybeLocal<v8::Module> m = v8::ScriptCompiler::CompileModule(isolate, &src, options);
        *rejected = data && src.GetCachedData()->rejected;
        return m;
      },
      [](v8::Local<v8::Module> m) { return v8::ScriptCompiler::CreateCodeCache(m->GetUnboundModuleScript()); });
  v8::Local<v8::Module> module;
  if (!compiled.ToLocal(&module)) return absl::InvalidArgumentError(DescribeException(isolate, try_catch));
  if (memo_ != nullptr) memo_->compiled.Remember(isolate, key, module->GetUnboundModuleScript());
  modules_.push_back({v8::Global<v8::Module>(isolate, module), path, {}});

  v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
  for (int i = 0; i < requests->Length(); ++i) {
    auto request = requests->Get(context, i).As<v8::ModuleRequest>();
    std::string specifier = ToUtf8(isolate, request->GetSpecifier());
    absl::StatusOr<fs::path> resolved = Resolve(path, specifier);
    if (!resolved.ok()) return resolved.status();
    absl::StatusOr<v8::Local<v8::Module>> dependency = LoadModuleGraph(context, *resolved, nullptr, &path, specifier);
    if (!dependency.ok()) return dependency.status();
  }
  return module;
}

absl::StatusOr<v8::Local<v8::Value>> ScriptLoader::ImportBuiltin(v8::Local<v8::Context> context,
                                                                 std::string_view specifier) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  absl::StatusOr<bool> provided =
      import_host_ != nullptr ? import_host_->Provides(specifier) : absl::StatusOr<bool>(false);
  if (!provided.ok()) {
    return absl::InvalidArgumentError(base::StrCat("cannot import \"", specifier, "\": ", provided.status().message()));
  }
  if (!*provided) {
    return absl::InvalidArgumentError(base::StrCat(
        "cannot import \"", specifier, "\" at run time: import() loads built-in modules (node:*, cloudflare:*); "
        "a file or npm package is bundled with the script (esbuild inlines the import() of what it bundles)"));
  }
  absl::StatusOr<v8::Local<v8::Module>> module = LoadHostModule(context, std::string(specifier));
  if (!module.ok()) return module.status();
  v8::TryCatch try_catch(isolate);
  ScriptLoader* previous = t_current_loader;
  t_current_loader = this;
  v8::Local<v8::Value> result;
  bool evaluated = (*module)->InstantiateModule(context, &ResolveCallback).FromMaybe(false) &&
                   (*module)->Evaluate(context).ToLocal(&result);
  t_current_loader = previous;
  if (!evaluated) return absl::InvalidArgumentError(DescribeException(isolate, try_catch));
  return scope.Escape((*module)->GetModuleNamespace());
}

absl::StatusOr<v8::Local<v8::Module>> ScriptLoader::LoadHostModule(v8::Local<v8::Context> context,
                                                                   const std::string& specifier) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Object> exports;
  if (!import_host_->Exports(context, specifier).ToLocal(&exports)) {
    return absl::InvalidArgumentError(try_catch.HasCaught()
                                          ? base::StrCat("import \"", specifier, "\": ", DescribeException(isolate, try_catch))
                                          : base::StrCat("import \"", specifier, "\" failed"));
  }
  v8::Local<v8::Module> module = SyntheticModule(context, fs::path(specifier), specifier, exports);
  if (module.IsEmpty()) return absl::InvalidArgumentError(DescribeException(isolate, try_catch));
  return module;
}

v8::Local<v8::Module> ScriptLoader::SyntheticModule(v8::Local<v8::Context> context, const fs::path& path,
                                                    const std::string& name, v8::Local<v8::Object> exports) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Array> keys;
  if (!exports->GetOwnPropertyNames(context, v8::ONLY_ENUMERABLE).ToLocal(&keys)) return {};
  std::vector<v8::Local<v8::String>> names;
  bool has_default = false;
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::Local<v8::Value> key;
    if (!keys->Get(context, i).ToLocal(&key) || !key->ToString(context).ToLocal(&key)) continue;
    has_default = has_default || ToUtf8(isolate, key) == "default";
    names.push_back(key.As<v8::String>());
  }
  if (!has_default) names.push_back(NewString(isolate, "default"));
  v8::Local<v8::Module> module =
      v8::Module::CreateSyntheticModule(isolate, NewString(isolate, name), names, &EvaluateHostModule);
  modules_.push_back({v8::Global<v8::Module>(isolate, module), path, v8::Global<v8::Object>(isolate, exports)});
  return module;
}

absl::StatusOr<v8::Local<v8::Module>> ScriptLoader::LoadFileModule(v8::Local<v8::Context> context, const fs::path& path,
                                                                   ImportHost::FileType type, const std::string& bytes,
                                                                   const std::string& where) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> value;
  switch (type) {
    case ImportHost::FileType::kText:
      value = NewString(isolate, bytes);
      break;
    case ImportHost::FileType::kData: {
      v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, bytes.size());
      if (!bytes.empty()) std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
      value = buffer;
      break;
    }
    case ImportHost::FileType::kJson:
      if (!v8::JSON::Parse(context, NewString(isolate, bytes)).ToLocal(&value)) {
        return absl::InvalidArgumentError(base::StrCat(where, ": ", DisplayName(path), " is not valid JSON: ",
                                                       DescribeException(isolate, try_catch)));
      }
      break;
    case ImportHost::FileType::kCompiledWasm:
      if (import_host_ == nullptr || !import_host_->CompiledWasm(context, path).ToLocal(&value)) {
        return absl::InvalidArgumentError(base::StrCat(
            where, ": ", try_catch.HasCaught() ? DescribeException(isolate, try_catch) : "no WebAssembly support"));
      }
      break;
    case ImportHost::FileType::kJavaScript:
      return absl::InternalError("a JavaScript file is not a file module");
  }
  v8::Local<v8::Object> exports = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  if (!exports->CreateDataProperty(context, NewString(isolate, "default"), value).FromMaybe(false)) {
    return absl::InternalError(DescribeException(isolate, try_catch));
  }
  v8::Local<v8::Module> module = SyntheticModule(context, path, DisplayName(path), exports);
  if (module.IsEmpty()) return absl::InternalError(DescribeException(isolate, try_catch));
  return module;
}

v8::MaybeLocal<v8::Value> ScriptLoader::EvaluateHostModule(v8::Local<v8::Context> context, v8::Local<v8::Module> module) {
  v8::Isolate* isolate = context->GetIsolate();
  LoadedModule* loaded = t_current_loader ? t_current_loader->FindByModule(module) : nullptr;
  if (loaded == nullptr || loaded->exports.IsEmpty()) {
    isolate->ThrowException(v8::Exception::Error(NewString(isolate, "a built-in module was evaluated outside its loader")));
    return {};
  }
  v8::Local<v8::Object> exports = loaded->exports.Get(isolate);
  v8::Local<v8::Array> keys;
  if (!exports->GetOwnPropertyNames(context, v8::ONLY_ENUMERABLE).ToLocal(&keys)) return {};
  bool has_default = false;
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::Local<v8::Value> key;
    v8::Local<v8::Value> value;
    if (!keys->Get(context, i).ToLocal(&key) || !key->ToString(context).ToLocal(&key)) return {};
    if (!exports->Get(context, key).ToLocal(&value)) return {};
    has_default = has_default || ToUtf8(isolate, key) == "default";
    if (module->SetSyntheticModuleExport(isolate, key.As<v8::String>(), value).IsNothing()) return {};
  }
  if (!has_default && module->SetSyntheticModuleExport(isolate, NewString(isolate, "default"), exports).IsNothing()) {
    return {};
  }
  // With top-level await, module evaluation yields a promise (as Node's synthetic modules do).
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  if (resolver->Resolve(context, v8::Undefined(isolate)).IsNothing()) return {};
  return resolver->GetPromise();
}

absl::StatusOr<fs::path> ScriptLoader::Resolve(const fs::path& referrer, std::string_view specifier) {
  if (import_host_ != nullptr) {
    absl::StatusOr<bool> provided = import_host_->Provides(specifier);
    if (!provided.ok()) {
      return absl::Status(provided.status().code(), base::StrCat(DisplayName(referrer), ": cannot import \"", specifier,
                                                                 "\": ", provided.status().message()));
    }
    // Never absolute: LoadModuleGraph tells a host's module from a file by that.
    if (*provided) return fs::path(std::string(specifier));
  }
  if (!specifier.starts_with("./") && !specifier.starts_with("../")) {
    return absl::InvalidArgumentError(base::StrCat(
        DisplayName(referrer), ": cannot import \"", specifier,
        "\": only relative imports (./ or ../) inside the script's folder are supported"));
  }
  fs::path resolved = (referrer.parent_path() / std::string(specifier)).lexically_normal();
  auto [root_end, ignored] = std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  if (root_end != root_.end()) {
    return absl::PermissionDeniedError(
        base::StrCat(DisplayName(referrer), ": import \"", specifier, "\" leaves the script's folder"));
  }
  if (import_host_ != nullptr) {
    // Wrangler's "x.wasm?module" names the file x.wasm; the rules see the suffix.
    std::string relative = resolved.lexically_relative(root_).generic_string();
    constexpr std::string_view kModuleSuffix = "?module";
    if (resolved.filename().string().ends_with(kModuleSuffix)) {
      std::string name = resolved.filename().string();
      resolved.replace_filename(name.substr(0, name.size() - kModuleSuffix.size()));
    }
    absl::StatusOr<ImportHost::FileType> type = import_host_->TypeOfFile(relative);
    if (!type.ok()) {
      return absl::Status(type.status().code(), base::StrCat(DisplayName(referrer), ": cannot import \"", specifier,
                                                             "\": ", type.status().message()));
    }
    file_types_[resolved.string()] = *type;
  }
  return resolved;
}

v8::MaybeLocal<v8::Value> ImportHost::CompiledWasm(v8::Local<v8::Context> context, const fs::path& path) {
  v8::Isolate* isolate = context->GetIsolate();
  isolate->ThrowException(v8::Exception::Error(NewString(isolate, "WebAssembly modules cannot be imported here")));
  return {};
}

std::string ScriptLoader::DisplayName(const fs::path& path) const {
  fs::path relative = path.lexically_relative(root_);
  if (relative.empty() || *relative.begin() == "..") return path.filename().string();
  return relative.string();
}

ScriptLoader::LoadedModule* ScriptLoader::FindByModule(v8::Local<v8::Module> module) {
  for (LoadedModule& loaded : modules_) {
    if (loaded.module == module) return &loaded;
  }
  return nullptr;
}

ScriptLoader::LoadedModule* ScriptLoader::FindByPath(const fs::path& path) {
  for (LoadedModule& loaded : modules_) {
    if (loaded.path == path) return &loaded;
  }
  return nullptr;
}

v8::MaybeLocal<v8::Module> ScriptLoader::ResolveCallback(v8::Local<v8::Context> context,
                                                         v8::Local<v8::String> specifier,
                                                         v8::Local<v8::FixedArray> import_assertions,
                                                         v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  ScriptLoader* self = t_current_loader;
  LoadedModule* from = self ? self->FindByModule(referrer) : nullptr;
  if (from != nullptr) {
    absl::StatusOr<fs::path> path = self->Resolve(from->path, ToUtf8(isolate, specifier));
    if (path.ok()) {
      if (LoadedModule* target = self->FindByPath(*path)) return target->module.Get(isolate);
    }
  }
  isolate->ThrowException(v8::Exception::Error(
      NewString(isolate, base::StrCat("cannot resolve module \"", ToUtf8(isolate, specifier), "\""))));
  return {};
}

}  // namespace atl::isolates
