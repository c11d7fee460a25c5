#include "bindings/builtin_modules.h"

#include <algorithm>

#include "base/strings.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;
using isolates::NewSymbolString;

// One line per module: {specifier, lazy module, flag}.
constexpr BuiltinModule kBuiltinModules[] = {
    {"", "", ""},  // (placeholder so the array is never empty; never matches: specifiers are not empty)
};

const BuiltinModule* Find(std::string_view specifier) {
  if (specifier.empty()) return nullptr;
  for (const BuiltinModule& module : kBuiltinModules) {
    if (module.specifier == specifier) return &module;
  }
  return nullptr;
}

}  // namespace

std::span<const BuiltinModule> BuiltinModuleTable() { return kBuiltinModules; }

absl::StatusOr<bool> BuiltinModules::Provides(std::string_view specifier) {
  const BuiltinModule* module = Find(specifier);
  if (module == nullptr) return false;
  if (!module->flag.empty() && std::find(flags_.begin(), flags_.end(), module->flag) == flags_.end()) {
    return absl::FailedPreconditionError(
        base::StrCat("it needs the \"", module->flag, "\" compatibility flag (compatibility_flags = [\"", module->flag,
                     "\"] in the tenant's config)"));
  }
  return true;
}

v8::MaybeLocal<v8::Object> BuiltinModules::Exports(v8::Local<v8::Context> context, std::string_view specifier) {
  const BuiltinModule* module = Find(specifier);
  v8::Local<v8::Value> require;
  if (module == nullptr || !internal_->Get(context, NewSymbolString(isolate_, "require")).ToLocal(&require) ||
      !require->IsFunction()) {
    isolate_->ThrowException(v8::Exception::Error(NewString(isolate_, base::StrCat("no built-in module ", specifier))));
    return {};
  }
  v8::Local<v8::Value> name = NewSymbolString(isolate_, module->lazy_module);
  v8::Local<v8::Value> exports;
  if (!require.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &name).ToLocal(&exports)) return {};
  if (!exports->IsObject()) {
    isolate_->ThrowException(v8::Exception::Error(
        NewString(isolate_, base::StrCat("built-in module ", specifier, " exports no object"))));
    return {};
  }
  return exports.As<v8::Object>();
}

}  // namespace atl::bindings
