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
  base::LogLine(level, isolates::ToUtf8(isolate, info[1])).Str("tenant", worker->tenant_name()).Emit();
}

}  // namespace

void InstallConsole(NativeScope& scope) { scope.SetFunction("log", Log); }

}  // namespace atl::bindings
