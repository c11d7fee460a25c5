"use strict";
// 03_async_context.js: the async context frame every callback the platform schedules runs in
// (AsyncLocalStorage, lazy module async_context; async_context.h). A frame is a Map from
// AsyncLocalStorage to its store, never changed once made; the root frame is an empty one (or
// undefined, in a context that never made an AsyncLocalStorage).
// V8 carries the frame through promise reactions (await, then, queueMicrotask) by itself; glue
// that keeps a callback for later (timers, stream sources, sinks and transformers) captures the
// frame when the callback is given and runs it in that frame, through these helpers only:
//   internal.captureFrame()                      the current frame
//   internal.runInFrame(frame, fn, thisArg, args) fn in `frame`, the previous one restored after
//   internal.bindFrame(fn)                       fn, made to run in the current frame
// A context that never made an AsyncLocalStorage has only the root frame, so until
// internal.enableAsyncContext() is called capturing is a check and binding is the identity.

const getSlot = native.getAsyncFrame;
const setSlot = native.setAsyncFrame;
const setRootSlot = native.setAsyncRootFrame;
const FrameApply = Reflect.apply;
const FrameMap = Map;
// The root frame: undefined until enableAsyncContext(), then an empty Map (async_context.h says
// why it is not undefined). An undefined slot (between microtasks, in a thenable's job) is root.
let root;

function currentFrame() {
  const frame = getSlot();
  return frame === undefined ? root : frame;
}

function enterFrame(frame) {
  setSlot(frame === undefined ? root : frame);
}

function captureFrame() {
  return root === undefined ? undefined : currentFrame();
}

function runInFrame(frame, fn, thisArg, args) {
  const previous = getSlot();
  enterFrame(frame);
  try {
    return FrameApply(fn, thisArg, args);
  } finally {
    enterFrame(previous);
  }
}

function bindFrame(fn) {
  if (root === undefined) return fn;
  const frame = currentFrame();
  return function bound(...args) {
    return runInFrame(frame, fn, this, args);
  };
}

internal.captureFrame = captureFrame;
internal.runInFrame = runInFrame;
internal.bindFrame = bindFrame;
internal.getAsyncFrame = currentFrame;
internal.setAsyncFrame = enterFrame;
internal.enableAsyncContext = function enableAsyncContext() {
  if (root !== undefined) return;
  root = new FrameMap();
  setRootSlot(root);  // what each run from the event loop starts in (Worker::CallIntoJs)
  if (getSlot() === undefined) setSlot(root);
};
