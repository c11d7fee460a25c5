#pragma once
// What a binding unit gets to install its native half: the `native` object the JS glue closes
// over. Installation happens once, when the startup snapshot is made; the same calls in collect
// mode list every callback, which V8 needs (as "external references") to deserialize the
// snapshot's functions. Callbacks find their Worker through the isolate, never through data
// pointers baked into the snapshot.

#include <v8.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace atl::bindings {

class Worker;

// Isolate data slot holding the Worker that runs the isolate.
inline constexpr uint32_t kWorkerIsolateSlot = 0;

class NativeScope {
 public:
  // Installs the functions on `native` in `context`.
  NativeScope(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native);
  // Only records each callback's address in `references`.
  explicit NativeScope(std::vector<intptr_t>* references) : references_(references) {}

  // native[name] = a function calling `callback`.
  void SetFunction(std::string_view name, v8::FunctionCallback callback);

  // native[name] = a constructor whose instances have one embedder field, which V8's
  // ValueSerializer treats as host objects (structuredClone of Blob, scope.h). `callback` runs on
  // construction.
  void SetHostConstructor(std::string_view name, v8::FunctionCallback callback);

  // Lists a callback V8 calls that is not a native function (an accessor getter, say); only
  // collect mode records it.
  void AddReference(intptr_t callback) {
    if (references_ != nullptr) references_->push_back(callback);
  }

  // The Worker running the isolate a native callback was called in; null while the snapshot is
  // made (its warm-up request has no Worker behind it).
  static Worker* WorkerFrom(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<Worker*>(info.GetIsolate()->GetData(kWorkerIsolateSlot));
  }

 private:
  v8::Isolate* isolate_ = nullptr;
  v8::Local<v8::Context> context_;
  v8::Local<v8::Object> native_;
  std::vector<intptr_t>* references_ = nullptr;
};

// Throws a TypeError with `message` in the current context.
void ThrowTypeError(v8::Isolate* isolate, std::string_view message);

}  // namespace atl::bindings
