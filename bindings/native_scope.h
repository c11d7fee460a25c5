#pragma once
// What a binding unit gets to install its native half: the `native` object the JS glue closes
// over, and the Worker the callbacks reach through their data slot.

#include <v8.h>

#include <string_view>

namespace atl::bindings {

class Worker;

class NativeScope {
 public:
  NativeScope(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native,
              Worker* worker);

  // native[name] = a function calling `callback`; `info.Data()` holds the Worker.
  void SetFunction(std::string_view name, v8::FunctionCallback callback);

  // The Worker a native callback was installed for.
  static Worker* WorkerFrom(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<Worker*>(info.Data().As<v8::External>()->Value());
  }

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_; }

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  v8::Local<v8::Object> native_;
  v8::Local<v8::External> data_;
};

// Throws a TypeError with `message` in the current context.
void ThrowTypeError(v8::Isolate* isolate, std::string_view message);

}  // namespace atl::bindings
