#include "bindings/async_context.h"

#include "bindings/native_scope.h"
#include "bindings/worker.h"

namespace atl::bindings {
namespace {

void GetAsyncFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.GetIsolate()->GetCurrentContext()->GetContinuationPreservedEmbedderData());
}

void SetAsyncFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetIsolate()->GetCurrentContext()->SetContinuationPreservedEmbedderData(info[0]);
}

// The context's root frame from now on (the first AsyncLocalStorage made it).
void SetAsyncRootFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->SetAsyncRootFrame(info[0]);
}

}  // namespace

void InstallAsyncContext(NativeScope& scope) {
  scope.SetFunction("getAsyncFrame", GetAsyncFrame);
  scope.SetFunction("setAsyncFrame", SetAsyncFrame);
  scope.SetFunction("setAsyncRootFrame", SetAsyncRootFrame);
}

}  // namespace atl::bindings
