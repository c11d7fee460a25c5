#include "bindings/native_scope.h"

#include "isolates/v8_util.h"

namespace atl::bindings {

NativeScope::NativeScope(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> native)
    : isolate_(isolate), context_(context), native_(native) {}

void NativeScope::SetFunction(std::string_view name, v8::FunctionCallback callback) {
  if (references_ != nullptr) {
    references_->push_back(reinterpret_cast<intptr_t>(callback));
    return;
  }
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(
      isolate_, callback, v8::Local<v8::Value>(), v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow);
  v8::Local<v8::String> key = isolates::NewSymbolString(isolate_, name);
  v8::Local<v8::Function> fn = tmpl->GetFunction(context_).ToLocalChecked();
  fn->SetName(key);
  native_->Set(context_, key, fn).Check();
}

void NativeScope::SetHostConstructor(std::string_view name, v8::FunctionCallback callback) {
  if (references_ != nullptr) {
    references_->push_back(reinterpret_cast<intptr_t>(callback));
    return;
  }
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(isolate_, callback);
  tmpl->InstanceTemplate()->SetInternalFieldCount(1);
  v8::Local<v8::String> key = isolates::NewSymbolString(isolate_, name);
  tmpl->SetClassName(key);
  v8::Local<v8::Function> fn = tmpl->GetFunction(context_).ToLocalChecked();
  native_->Set(context_, key, fn).Check();
}

void ThrowTypeError(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::TypeError(isolates::NewString(isolate, message)));
}

}  // namespace atl::bindings
