#include "bindings/timers.h"

#include <cmath>

#include "bindings/native_scope.h"
#include "base/strings.h"
#include "bindings/worker.h"
#include "isolates/limits.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

bool TimerId(const v8::FunctionCallbackInfo<v8::Value>& info, uint32_t* id) {
  if (!info[0]->IsUint32()) {
    ThrowTypeError(info.GetIsolate(), "timer id must be a positive integer");
    return false;
  }
  *id = info[0].As<v8::Uint32>()->Value();
  return true;
}

void SetTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id;
  if (!TimerId(info, &id)) return;
  double ms = info[1]->NumberValue(info.GetIsolate()->GetCurrentContext()).FromMaybe(0);
  if (!std::isfinite(ms) || ms < 0) ms = 0;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker != nullptr && !worker->ArmTimer(id, ms, info[2]->BooleanValue(info.GetIsolate()))) {
    v8::Isolate* isolate = info.GetIsolate();
    isolate->ThrowException(v8::Exception::RangeError(isolates::NewString(
        isolate, base::StrCat("too many pending timers: an isolate may have at most ",
                              isolates::RuntimeCaps().max_pending_timers, " (clear some first)"))));
  }
}

void ClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id;
  if (!TimerId(info, &id)) return;
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->CancelTimer(id);
}

}  // namespace

void InstallTimers(NativeScope& scope) {
  scope.SetFunction("setTimer", SetTimer);
  scope.SetFunction("clearTimer", ClearTimer);
}

}  // namespace atl::bindings
