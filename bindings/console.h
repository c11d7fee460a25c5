#pragma once
// console (https://console.spec.whatwg.org/): the JS half (js/00_console.js) formats the
// arguments; the native half writes one JSON log line with the tenant's name.

namespace atl::bindings {
class NativeScope;

// native.log(level, message)
void InstallConsole(NativeScope& scope);
}  // namespace atl::bindings
