#pragma once
// Loads a tenant's script into a context. The script is either an ES module
// (`export default { fetch }`, relative imports resolved from the script's folder) or a classic
// service-worker script (`addEventListener("fetch", ...)`): whatever compiles as a classic script
// is one, since a module's `import`/`export` cannot. Compiled code goes through the CodeCache.
// Specifiers an ImportHost claims (`node:buffer`, `cloudflare:workers`) become synthetic modules
// whose exports the host makes: the loader knows no built-in by name (they live in bindings/).
// An imported file the host's module rules call Text, Data, JSON or CompiledWasm becomes a
// synthetic module whose only export, `default`, is a string, an ArrayBuffer, the parsed value or
// the host's WebAssembly.Module (wrangler's module rules: config/module_rules.h).
//
//   ScriptLoader loader(&code_cache);
//   absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, "/srv/app/worker.js");

#include <v8.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cache/code_cache.h"
#include "isolates/compiled_scripts.h"

namespace atl::isolates {

// What a loader asks about imports that are not JS files of the script's folder.
class ImportHost {
 public:
  // What a module made of an imported file is (config::ModuleType's values, in the same order).
  enum class FileType { kJavaScript, kText, kData, kCompiledWasm, kJson };

  virtual ~ImportHost() = default;
  // Whether `specifier` names a module this host provides; an error (e.g. "needs the
  // nodejs_compat flag") refuses the import with that message.
  virtual absl::StatusOr<bool> Provides(std::string_view specifier) = 0;
  // The module's exports in `context`: its own enumerable properties become named exports, and
  // `default` is its `default` property if it has one, else the object itself (as Node does for
  // its built-ins). Called while the graph is linked; empty with an exception pending on failure.
  virtual v8::MaybeLocal<v8::Object> Exports(v8::Local<v8::Context> context, std::string_view specifier) = 0;
  // The type of the imported file `relative_path` (to the main script's folder, '/'-separated,
  // with a "?module" suffix if the import had one); an error refuses the import with its message.
  virtual absl::StatusOr<FileType> TypeOfFile(std::string_view relative_path) { return FileType::kJavaScript; }
  // The WebAssembly.Module of the CompiledWasm file `path`; empty with an exception pending on failure.
  virtual v8::MaybeLocal<v8::Value> CompiledWasm(v8::Local<v8::Context> context, const std::filesystem::path& path);
};

class ScriptLoader {
 public:
  // What the owner of many contexts keeps between loads of the same script: the files read and
  // whether the main script is a module, so another context reads no file and does not try a
  // module as a classic script first.
  struct Memo {
    absl::flat_hash_map<std::string, std::string> sources;  // absolute path -> text
    absl::flat_hash_map<std::string, std::string> cache_keys;  // "kind path" -> code cache key
    std::optional<bool> is_module;
    std::string canonical_script;  // the script path made absolute and canonical (a path walk)
    CompiledScripts compiled;      // what the loads compiled, for a code cache made after a run
  };

  // How many times the process hashed a source for its code cache key (tests).
  static int SourceHashesForTesting();

  explicit ScriptLoader(cache::CodeCache* code_cache, Memo* memo = nullptr, ImportHost* import_host = nullptr)
      : code_cache_(code_cache), memo_(memo), import_host_(import_host) {}

  // Compiles and runs `path` in `context`. Returns the module namespace for an ES module, or
  // undefined for a classic script. Errors read "file:line: SyntaxError: ...". A classic
  // script gets the own properties of `classic_globals` (if given) as globals before it runs.
  absl::StatusOr<v8::Local<v8::Value>> Load(v8::Local<v8::Context> context,
                                            const std::filesystem::path& path,
                                            v8::Local<v8::Object> classic_globals = {});

  // `import(specifier)` at run time: the namespace of the host's module `specifier` (`node:*`,
  // `cloudflare:*`), linked and evaluated now. Files and npm packages are not loaded at run time
  // (a bundler inlines those it can see; the error says so).
  absl::StatusOr<v8::Local<v8::Value>> ImportBuiltin(v8::Local<v8::Context> context, std::string_view specifier);

 private:
  struct LoadedModule {
    v8::Global<v8::Module> module;
    std::filesystem::path path;      // a file, or the specifier of a host's module (never absolute)
    v8::Global<v8::Object> exports;  // a synthetic module: what its evaluation exports
  };

  // `path`'s module and, for JS, those it imports. `source` is the text if known; `referrer` and
  // `specifier` name the import in errors (none for the main script).
  absl::StatusOr<v8::Local<v8::Module>> LoadModuleGraph(v8::Local<v8::Context> context,
                                                        const std::filesystem::path& path,
                                                        const std::string* source,
                                                        const std::filesystem::path* referrer = nullptr,
                                                        std::string_view specifier = {});
  // A synthetic module for the non-JS file `path` of type `type` (module rules).
  absl::StatusOr<v8::Local<v8::Module>> LoadFileModule(v8::Local<v8::Context> context, const std::filesystem::path& path,
                                                       ImportHost::FileType type, const std::string& bytes,
                                                       const std::string& where);
  // A synthetic module named `name` whose exports are `exports`' own enumerable properties.
  v8::Local<v8::Module> SyntheticModule(v8::Local<v8::Context> context, const std::filesystem::path& path,
                                        const std::string& name, v8::Local<v8::Object> exports);
  // How `path` is named to V8 (stack traces, error.stack) and in errors: relative to the main
  // script's folder, never the host's absolute path.
  std::string DisplayName(const std::filesystem::path& path) const;
  // Also records an imported file's type (file_types_), asking the host.
  absl::StatusOr<std::filesystem::path> Resolve(const std::filesystem::path& referrer, std::string_view specifier);
  // A synthetic module for the host's module `specifier`, its exports taken now.
  absl::StatusOr<v8::Local<v8::Module>> LoadHostModule(v8::Local<v8::Context> context, const std::string& specifier);
  LoadedModule* FindByModule(v8::Local<v8::Module> module);
  LoadedModule* FindByPath(const std::filesystem::path& path);
  static v8::MaybeLocal<v8::Module> ResolveCallback(v8::Local<v8::Context> context,
                                                    v8::Local<v8::String> specifier,
                                                    v8::Local<v8::FixedArray> import_assertions,
                                                    v8::Local<v8::Module> referrer);
  static v8::MaybeLocal<v8::Value> EvaluateHostModule(v8::Local<v8::Context> context, v8::Local<v8::Module> module);

  absl::StatusOr<std::string> ReadSource(const std::filesystem::path& path);
  // The code cache key of `source` (the text of `path`) compiled as `kind`.
  std::string CacheKey(const std::filesystem::path& path, std::string_view kind, std::string_view source);

  cache::CodeCache* code_cache_;
  Memo* memo_;
  ImportHost* import_host_;
  std::filesystem::path root_;
  std::vector<LoadedModule> modules_;
  // The type of each imported file, as the host said when it was resolved.
  absl::flat_hash_map<std::string, ImportHost::FileType> file_types_;
};

}  // namespace atl::isolates
