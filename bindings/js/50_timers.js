"use strict";
// 50_timers.js: setTimeout / setInterval / clearTimeout / clearInterval
// (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers) and queueMicrotask.
//
// Timers live on the C++ event loop: native.setTimer(id, ms, repeat) arms timer `id`,
// native.clearTimer(id) cancels it, and C++ calls internal.onTimer(id) when it fires (for a
// repeating timer, every period; C++ re-arms it). Ids are positive integers below 2^31, shared
// by timeouts and intervals as in HTML. A string handler would need eval, which the sandbox
// forbids: it is a TypeError. The timeout is converted like Web IDL `long` (so 2^31 wraps to a
// negative number) and clamped to >= 0; an interval is clamped to >= 1 ms so that
// setInterval(f, 0) cannot spin the loop (the event loop arms no timer for less than 1 ms either:
// a 0 ms chain runs once per loop turn). There is no nesting clamp (Workers has none either).
// An isolate may have at most 10,000 timers pending (isolates/limits.h): past it setTimeout and
// setInterval throw a RangeError.
// The callback runs with `this` = globalThis, in the async context frame that was current when it
// was scheduled (js/03_async_context.js); what it throws goes to internal.reportError.

const { defineGlobal, reportError, uncurryThis, captureFrame, runInFrame } = internal;
const nativeSetTimer = native.setTimer;
const nativeClearTimer = native.clearTimer;
const ReflectApply = Reflect.apply;
const { MapGet, MapSet, MapDelete, PromisePrototypeThen } = internal.primordials;
const MapHas = uncurryThis(Map.prototype.has);
const $Promise = Promise;
const $TypeError = TypeError;
const MAX_ID = 0x7fffffff;

const timers = new Map(); // id -> { callback, args, repeat, frame }
let nextId = 1;
// A reused per_request context starts each use with no timers (js/lazy/lockdown.js; C++ has
// cleared the armed ones).
internal.resetTimers = () => { timers.clear(); nextId = 1; };

// Web IDL `long`: ToNumber (throws on Symbol/BigInt), NaN/Infinity -> 0, ToInt32.
function toLong(value) {
  const n = +value;
  return n === n && n !== Infinity && n !== -Infinity ? n | 0 : 0;
}

function allocateId() {
  for (;;) {
    const id = nextId;
    nextId = nextId === MAX_ID ? 1 : nextId + 1;
    if (!MapHas(timers, id)) return id;
  }
}

function start(name, handler, timeout, args, repeat) {
  if (typeof handler !== "function") {
    throw new $TypeError(`Failed to execute '${name}': the handler must be a function (string handlers would need eval, which is disabled).`);
  }
  let ms = toLong(timeout);
  if (ms < 0) ms = 0;
  if (repeat && ms < 1) ms = 1;
  const id = allocateId();
  nativeSetTimer(id, ms, repeat); // a RangeError past the isolate's pending timers cap
  MapSet(timers, id, { callback: handler, args, repeat, frame: captureFrame() });
  return id;
}

function setTimeout(handler, timeout = 0, ...args) {
  return start("setTimeout", handler, timeout, args, false);
}

function setInterval(handler, timeout = 0, ...args) {
  return start("setInterval", handler, timeout, args, true);
}

function clearTimeout(id = 0) {
  id = toLong(id);
  if (id > 0 && MapDelete(timers, id)) nativeClearTimer(id);
}

function clearInterval(id = 0) {
  id = toLong(id);
  if (id > 0 && MapDelete(timers, id)) nativeClearTimer(id);
}

function onTimer(id) {
  const timer = MapGet(timers, id);
  if (timer === undefined) return; // cleared after C++ queued it
  if (!timer.repeat) MapDelete(timers, id);
  try {
    if (timer.frame === undefined) ReflectApply(timer.callback, globalThis, timer.args);
    else runInFrame(timer.frame, timer.callback, globalThis, timer.args);
  } catch (e) {
    reportError(e);
  }
}

defineGlobal("setTimeout", setTimeout);
defineGlobal("setInterval", setInterval);
defineGlobal("clearTimeout", clearTimeout);
defineGlobal("clearInterval", clearInterval);
internal.onTimer = onTimer;
internal.setTimeout = setTimeout;
// node:timers (js/lazy/node_timers.js) takes these, not the globals a tenant may replace.
internal.clearTimeout = clearTimeout;
internal.setInterval = setInterval;
internal.clearInterval = clearInterval;

// https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#dom-queuemicrotask
// (V8 leaves it to the embedder.) An exception in the callback is reported, not turned into an
// unhandled rejection.
if (typeof globalThis.queueMicrotask !== "function") {
  const resolved = $Promise.resolve();
  const queueMicrotask = function queueMicrotask(callback) {
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'queueMicrotask': 1 argument required, but only 0 present.");
    if (typeof callback !== "function") {
      throw new $TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
    }
    PromisePrototypeThen(resolved, () => {
      try {
        callback();
      } catch (e) {
        reportError(e);
      }
    });
  };
  defineGlobal("queueMicrotask", queueMicrotask);
}
