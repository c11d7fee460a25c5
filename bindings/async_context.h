#pragma once
// The async context frame (node:async_hooks AsyncLocalStorage, https://nodejs.org/api/async_context.html):
// the frame current in a context is V8's "continuation preserved embedder data", which V8 itself
// captures in every promise reaction when `then`/`await` is called and restores while the
// reaction runs, so promises carry it at no extra cost per promise (no promise hooks). The JS half
// (js/03_async_context.js) carries it through timers and stream callbacks; lazy module
// `async_context` holds the classes. Worker::CallIntoJs resets it at each entry from the event loop
// and before its microtask checkpoint.
// The root frame is undefined until the context makes an AsyncLocalStorage, then an empty frame
// object: V8 10.2 restores the slot for a reaction only when what it captured is not undefined
// (and clears it after), so with undefined as the root a reaction registered in the root frame
// would run in whatever frame was left current before it (enterWith, maybe in another request).

namespace atl::bindings {
class NativeScope;

// native.getAsyncFrame(), native.setAsyncFrame(frame), native.setAsyncRootFrame(frame)
void InstallAsyncContext(NativeScope& scope);
}  // namespace atl::bindings
