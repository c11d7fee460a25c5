"use strict";
// 03_async_context.js: the async context frame every callback the platform schedules runs in
// (AsyncLocalStorage, lazy module async_context; async_context.h). A frame is undefined (the
// root) or a Map from AsyncLocalStorage to its store; it is never changed once made.
// V8 carries the frame through promise reactions (await, then, queueMicrotask) by itself; glue
// that keeps a callback for later (timers, stream sources, sinks and transformers) captures the
// frame when the callback is given and runs it in that frame, through these helpers only:
//   internal.captureFrame()                      the current frame
//   internal.runInFrame(frame, fn, thisArg, args) fn in `frame`, the previous one restored after
//   internal.bindFrame(fn)                       fn, made to run in the current frame
// A context that never made an AsyncLocalStorage has only the root frame, so until
// internal.enableAsyncContext() is called capturing is a flag check and binding is the identity.

const getAsyncFrame = native.getAsyncFrame;
const setAsyncFrame = native.setAsyncFrame;
const FrameApply = Reflect.apply;
let enabled = false;

function captureFrame() {
  return enabled ? getAsyncFrame() : undefined;
}

function runInFrame(frame, fn, thisArg, args) {
  const previous = getAsyncFrame();
  setAsyncFrame(frame);
  try {
    return FrameApply(fn, thisArg, args);
  } finally {
    setAsyncFrame(previous);
  }
}

function bindFrame(fn) {
  if (!enabled) return fn;
  const frame = getAsyncFrame();
  return function bound(...args) {
    return runInFrame(frame, fn, this, args);
  };
}

internal.captureFrame = captureFrame;
internal.runInFrame = runInFrame;
internal.bindFrame = bindFrame;
internal.getAsyncFrame = getAsyncFrame;
internal.setAsyncFrame = setAsyncFrame;
internal.enableAsyncContext = function enableAsyncContext() {
  enabled = true;
};
