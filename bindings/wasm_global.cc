#include "bindings/wasm_global.h"

#include "bindings/native_scope.h"
#include "isolates/platform.h"  // V8 10.2 only: WasmJs below is its internal API
#include "isolates/v8_util.h"

// V8's builder of the WebAssembly namespace (src/wasm/wasm-js.h in V8 10.2): installs the
// constructors into the current native context once (later calls return at once) and, when
// `exposed_on_global_object`, defines `WebAssembly` on its global object. Exported by libnode.
namespace v8::internal {
class Isolate;
class WasmJs {
 public:
  static void Install(Isolate* isolate, bool exposed_on_global_object);
};
}  // namespace v8::internal

namespace atl::bindings {
namespace {

using isolates::NewSymbolString;

void InstallWasmJs(v8::Isolate* isolate, bool exposed) {
  v8::internal::WasmJs::Install(reinterpret_cast<v8::internal::Isolate*>(isolate), exposed);
}

// The accessor's getter: removes itself, lets V8 define the real global in the current context,
// and answers with it. A plain (not replace-on-access) accessor, so that V8 does not look for it
// again once it is gone.
void WebAssemblyGetter(v8::Local<v8::Name> property, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> global = context->Global();
  if (!global->Delete(context, property).FromMaybe(false)) return;
  InstallWasmJs(isolate, true);
  v8::Local<v8::Value> value;
  if (global->Get(context, property).ToLocal(&value)) info.GetReturnValue().Set(value);
}

}  // namespace

void InstallWasmGlobal(NativeScope& scope) { scope.AddReference(reinterpret_cast<intptr_t>(WebAssemblyGetter)); }

absl::Status DefineLazyWebAssembly(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  // A native data property: JS sees a writable data property (a write replaces the accessor
  // with the value, as V8 does for lazy data properties), not enumerable, as V8's own.
  if (!context->Global()
           ->SetNativeDataProperty(context, NewSymbolString(isolate, "WebAssembly"), WebAssemblyGetter, nullptr,
                                   v8::Local<v8::Value>(), v8::DontEnum)
           .FromMaybe(false)) {
    return absl::InternalError("could not define the WebAssembly global");
  }
  return absl::OkStatus();
}

void EnsureWebAssembly(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::Context::Scope scope(context);
  v8::TryCatch ignored(isolate);
  // Reading the global runs the accessor if it is still there; then, for a context that never
  // had it, the constructors are installed without a global (a no-op once they exist).
  v8::MaybeLocal<v8::Value> unused = context->Global()->Get(context, NewSymbolString(isolate, "WebAssembly"));
  (void)unused;
  InstallWasmJs(isolate, false);
}

}  // namespace atl::bindings
