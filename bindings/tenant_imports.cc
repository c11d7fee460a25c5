#include "bindings/tenant_imports.h"

#include "base/strings.h"
#include "bindings/wasm_modules.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

using FileType = isolates::ImportHost::FileType;
using config::ModuleType;

absl::StatusOr<FileType> TenantImports::TypeOfFile(std::string_view relative_path) {
  absl::StatusOr<ModuleType> type = rules_->TypeOf(relative_path);
  if (!type.ok()) return type.status();
  switch (*type) {
    case ModuleType::kESModule: return FileType::kJavaScript;
    case ModuleType::kText: return FileType::kText;
    case ModuleType::kData: return FileType::kData;
    case ModuleType::kCompiledWasm: return FileType::kCompiledWasm;
    case ModuleType::kJson: return FileType::kJson;
  }
  return absl::InternalError("unknown module type");
}

v8::MaybeLocal<v8::Value> TenantImports::CompiledWasm(v8::Local<v8::Context> context, const std::filesystem::path& path) {
  v8::Isolate* isolate = context->GetIsolate();
  absl::StatusOr<v8::Local<v8::WasmModuleObject>> module = WasmModuleFor(isolate, path);
  if (!module.ok()) {
    isolate->ThrowException(v8::Exception::Error(isolates::NewString(isolate, base::ToStd(module.status().message()))));
    return {};
  }
  return *module;
}

}  // namespace atl::bindings
