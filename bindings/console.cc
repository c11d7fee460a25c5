#include "bindings/console.h"

#include "base/log.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

void Log(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  base::LogLevel level = base::ParseLogLevel(isolates::ToUtf8(isolate, info[0]));
  if (!base::LogEnabled(level)) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) return;  // the snapshot builder's warm-up
  // Counted against the request's console budget before it is converted (a dropped line costs
  // no copy); a UTF-16 length is what UTF-8 takes at least.
  v8::Local<v8::Value> message = info[1];
  size_t bytes = message->IsString() ? static_cast<size_t>(message.As<v8::String>()->Length()) : 0;
  if (!worker->ChargeLog(bytes)) return;
  base::LogLine(level, isolates::ToUtf8(isolate, message)).Str("tenant", worker->tenant_name()).Emit();
}

}  // namespace

void InstallConsole(NativeScope& scope) { scope.SetFunction("log", Log); }

}  // namespace atl::bindings
