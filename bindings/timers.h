#pragma once
// Timers (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers): the JS half
// (js/50_timers.js) keeps the callbacks; the native half arms them on the server's event loop.

namespace atl::bindings {
class NativeScope;

// native.setTimer(id, ms, repeat), native.clearTimer(id)
void InstallTimers(NativeScope& scope);
}  // namespace atl::bindings
