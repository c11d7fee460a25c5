#include "bindings/es_builtins.h"

#include <initializer_list>
#include <string_view>

#include "base/strings.h"
#include "bindings/lazy_modules.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;
using isolates::NewSymbolString;

// The objects that get placeholders, in the order of kTargets below: evaluated once in the
// snapshot's context, before any tenant code.
constexpr char kTargetsScript[] =
    "[Promise, Object, Map, Array, Array.prototype, Object.getPrototypeOf(Uint8Array.prototype),"
    " Set.prototype, String.prototype, ArrayBuffer.prototype,"
    " Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), globalThis]";

struct Target {
  std::string_view where;  // for error messages
  std::initializer_list<std::string_view> names;
};

const Target kTargets[] = {
    {"Promise", {"withResolvers"}},
    {"Object", {"groupBy"}},
    {"Map", {"groupBy"}},
    {"Array", {"fromAsync"}},
    {"Array.prototype", {"toSorted", "toReversed", "toSpliced", "with"}},
    {"%TypedArray%.prototype", {"toSorted", "toReversed", "with"}},
    {"Set.prototype",
     {"union", "intersection", "difference", "symmetricDifference", "isSubsetOf", "isSupersetOf", "isDisjointFrom"}},
    {"String.prototype", {"isWellFormed", "toWellFormed"}},
    {"ArrayBuffer.prototype", {"transfer", "transferToFixedLength", "detached"}},
    {"%IteratorPrototype%",
     {"map", "filter", "take", "drop", "flatMap", "reduce", "toArray", "forEach", "some", "every", "find"}},
    {"globalThis", {"Iterator"}},
};

// True while the module loads: core-js's own checks read the placeholders, and must see the
// built-in missing (undefined) so that it installs it. One isolate runs on a thread at a time.
thread_local bool loading = false;

// A placeholder's getter: loads module es_builtins (once per context), which replaces the
// placeholders with the real properties, then answers with the real value (for an accessor
// such as ArrayBuffer.prototype.detached, its getter's answer for the receiver).
void PlaceholderGetter(v8::Local<v8::Name> property, const v8::PropertyCallbackInfo<v8::Value>& info) {
  if (loading) return;
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  loading = true;
  v8::MaybeLocal<v8::Value> loaded = RequireLazyModule(isolate, context, "es_builtins");
  loading = false;
  if (loaded.IsEmpty()) return;  // the exception propagates
  v8::Local<v8::Object> holder = info.Holder();
  if (holder->HasRealNamedCallbackProperty(context, property).FromMaybe(true)) {
    // core-js left it alone (it judged the engine's own fine): out of the way, as if never there.
    v8::Maybe<bool> deleted = holder->Delete(context, property);
    (void)deleted;
    return;
  }
  v8::Local<v8::Value> descriptor;
  if (!holder->GetOwnPropertyDescriptor(context, property).ToLocal(&descriptor) || !descriptor->IsObject()) return;
  v8::Local<v8::Object> d = descriptor.As<v8::Object>();
  v8::Local<v8::Value> getter, value;
  if (!d->Get(context, NewSymbolString(isolate, "get")).ToLocal(&getter)) return;
  if (getter->IsFunction()) {
    v8::Local<v8::Value> receiver = info.This();
    if (getter.As<v8::Function>()->Call(context, receiver, 0, nullptr).ToLocal(&value)) {
      info.GetReturnValue().Set(value);
    }
    return;
  }
  if (d->Get(context, NewSymbolString(isolate, "value")).ToLocal(&value)) info.GetReturnValue().Set(value);
}

}  // namespace

void InstallEsBuiltins(NativeScope& scope) { scope.AddReference(reinterpret_cast<intptr_t>(PlaceholderGetter)); }

absl::Status DefineEsBuiltinPlaceholders(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> targets;
  if (!v8::Script::Compile(context, NewString(isolate, kTargetsScript)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&targets) || !targets->IsArray()) {
    return absl::InternalError("could not find the targets of the ES built-ins");
  }
  v8::Local<v8::Array> objects = targets.As<v8::Array>();
  uint32_t index = 0;
  for (const Target& target : kTargets) {
    v8::Local<v8::Value> object;
    if (!objects->Get(context, index++).ToLocal(&object) || !object->IsObject()) {
      return absl::InternalError(base::StrCat("no ", target.where));
    }
    for (std::string_view name : target.names) {
      v8::Local<v8::String> key = NewSymbolString(isolate, name);
      if (object.As<v8::Object>()->HasOwnProperty(context, key).FromMaybe(true)) continue;
      if (!object.As<v8::Object>()
               ->SetNativeDataProperty(context, key, PlaceholderGetter, nullptr, v8::Local<v8::Value>(), v8::DontEnum)
               .FromMaybe(false)) {
        return absl::InternalError(base::StrCat("could not define ", target.where, ".", name));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace atl::bindings
