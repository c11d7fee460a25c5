#include "isolates/platform.h"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>
#include <v8-platform.h>

#include <cstring>
#include <mutex>

namespace atl::isolates {
namespace {
// Set before V8::Initialize: tenant scripts get no `gc()` and no `%Natives` syntax.
constexpr char kFlags[] = "--no-expose-gc --no-allow-natives-syntax";
v8::Platform* g_platform = nullptr;
}  // namespace

void PumpPlatformTasks(v8::Isolate* isolate) {
  while (v8::platform::PumpMessageLoop(g_platform, isolate)) {
  }
}

const char* V8Flags() { return kFlags; }

std::string V8Version() { return v8::V8::GetVersion(); }

void InitializeV8() {
  static std::once_flag once;
  std::call_once(once, [] {
    v8::V8::SetFlagsFromString(kFlags, std::strlen(kFlags));
    // One background thread: the process runs one worker per core already.
    static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform(1);
    g_platform = platform.get();
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();
  });
}

}  // namespace atl::isolates
