#pragma once
// The ScriptLoader's ImportHost for one context of a tenant: the built-in modules
// (builtin_modules.h) and the tenant's module rules (config/module_rules.h), whose CompiledWasm
// files are compiled once per process (wasm_modules.h), as env wasm bindings are.
//
//   TenantImports imports(&builtins, &module_rules);
//   isolates::ScriptLoader loader(code_cache, &memo, &imports);

#include "bindings/builtin_modules.h"
#include "config/module_rules.h"
#include "isolates/script_loader.h"

namespace atl::bindings {

class TenantImports : public isolates::ImportHost {
 public:
  TenantImports(BuiltinModules* builtins, const config::ModuleRules* rules) : builtins_(builtins), rules_(rules) {}

  absl::StatusOr<bool> Provides(std::string_view specifier) override { return builtins_->Provides(specifier); }
  v8::MaybeLocal<v8::Object> Exports(v8::Local<v8::Context> context, std::string_view specifier) override {
    return builtins_->Exports(context, specifier);
  }
  absl::StatusOr<FileType> TypeOfFile(std::string_view relative_path) override;
  v8::MaybeLocal<v8::Value> CompiledWasm(v8::Local<v8::Context> context, const std::filesystem::path& path) override;

 private:
  BuiltinModules* builtins_;
  const config::ModuleRules* rules_;
};

}  // namespace atl::bindings
