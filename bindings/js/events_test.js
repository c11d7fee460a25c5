// Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent (https://dom.spec.whatwg.org/#events),
// AbortController and AbortSignal (https://dom.spec.whatwg.org/#aborting-ongoing-activities), and
// the global scope's `error` / `unhandledrejection` events.
import { test, assert, run } from "./testing/harness.js";

const globalEvents = [];
addEventListener("error", (event) => {
  globalEvents.push(`error:${event.message}:${event.error?.name}:${event.target === globalThis}`);
  if (event.error?.cancel) event.preventDefault();
});
addEventListener("unhandledrejection", (event) => {
  globalEvents.push(`unhandledrejection:${event.reason}:${event.promise instanceof Promise}`);
  event.preventDefault();
});

test("Event", () => {
  const event = new Event("ping", { bubbles: true, cancelable: true });
  assert.equal(event.type, "ping");
  assert.equal(event.bubbles, true);
  assert.equal(event.cancelable, true);
  assert.equal(event.composed, false);
  assert.equal(event.eventPhase, Event.NONE);
  assert.equal(event.target, null);
  assert.equal(event.isTrusted, false);
  assert.equal(Object.getOwnPropertyDescriptor(event, "isTrusted").configurable, false, "isTrusted is unforgeable");
  assert.equal(typeof event.timeStamp, "number");
  event.preventDefault();
  assert.equal(event.defaultPrevented, true);
  assert.equal(event.returnValue, false);
  const notCancelable = new Event("x");
  notCancelable.preventDefault();
  assert.equal(notCancelable.defaultPrevented, false, "preventDefault needs cancelable");
  assert.throws(() => new Event(), TypeError, "type is required");
  assert.equal(Event.AT_TARGET, 2);
  assert.equal(Object.prototype.toString.call(event), "[object Event]");
});

test("EventTarget dispatch", () => {
  const target = new EventTarget();
  const calls = [];
  const listener = function (event) {
    calls.push(["fn", this === target, event.currentTarget === target, event.eventPhase]);
  };
  target.addEventListener("a", listener);
  target.addEventListener("a", listener, false);
  target.addEventListener("a", { handleEvent: (event) => calls.push(["object", event.type]) });
  target.addEventListener("a", () => calls.push(["capture"]), { capture: true });
  const event = new Event("a");
  assert.equal(target.dispatchEvent(event), true);
  assert.deepEqual(calls, [["capture"], ["fn", true, true, 2], ["object", "a"]], "capture first, duplicates ignored");
  assert.equal(event.target, target);
  assert.equal(event.currentTarget, null, "cleared after dispatch");
  assert.equal(event.eventPhase, 0);
  target.removeEventListener("a", listener);
  calls.length = 0;
  target.dispatchEvent(new Event("a"));
  assert.equal(calls.length, 2, "removed listener does not run");
  assert.throws(() => target.dispatchEvent({ type: "a" }), TypeError);
});

test("once, passive, signal, stopImmediatePropagation", () => {
  const target = new EventTarget();
  let count = 0;
  target.addEventListener("o", () => count++, { once: true });
  target.dispatchEvent(new Event("o"));
  target.dispatchEvent(new Event("o"));
  assert.equal(count, 1, "once");
  target.addEventListener("p", (event) => event.preventDefault(), { passive: true });
  assert.equal(target.dispatchEvent(new Event("p", { cancelable: true })), true, "passive cannot cancel");
  const controller = new AbortController();
  let signalled = 0;
  target.addEventListener("s", () => signalled++, { signal: controller.signal });
  target.dispatchEvent(new Event("s"));
  controller.abort();
  target.dispatchEvent(new Event("s"));
  assert.equal(signalled, 1, "an aborted signal removes the listener");
  const order = [];
  target.addEventListener("i", (event) => { order.push(1); event.stopImmediatePropagation(); });
  target.addEventListener("i", () => order.push(2));
  target.dispatchEvent(new Event("i"));
  assert.deepEqual(order, [1]);
  let nested;
  target.addEventListener("n", (event) => {
    try {
      target.dispatchEvent(event);
    } catch (error) {
      nested = error.name;
    }
  });
  target.dispatchEvent(new Event("n"));
  assert.equal(nested, "InvalidStateError", "an event being dispatched cannot be dispatched again");
});

test("a throwing listener is reported, others still run", () => {
  const target = new EventTarget();
  const ran = [];
  const error = new Error("listener failed");
  error.cancel = true;
  target.addEventListener("t", () => { throw error; });
  target.addEventListener("t", () => ran.push("second"));
  target.dispatchEvent(new Event("t"));
  assert.deepEqual(ran, ["second"]);
  assert.ok(globalEvents.includes("error:listener failed:Error:true"), JSON.stringify(globalEvents));
});

test("CustomEvent, ErrorEvent, PromiseRejectionEvent", () => {
  const custom = new CustomEvent("c", { detail: { x: 1 } });
  assert.deepEqual(custom.detail, { x: 1 });
  assert.equal(new CustomEvent("c").detail, null);
  assert.ok(custom instanceof Event);
  const error = new ErrorEvent("error", { message: "m", filename: "f.js", lineno: 3, colno: 4, error: 42 });
  assert.deepEqual([error.message, error.filename, error.lineno, error.colno, error.error], ["m", "f.js", 3, 4, 42]);
  const promise = Promise.resolve();
  const rejection = new PromiseRejectionEvent("unhandledrejection", { promise, reason: "r" });
  assert.equal(rejection.promise, promise);
  assert.equal(rejection.reason, "r");
  assert.throws(() => new PromiseRejectionEvent("x", {}), TypeError, "promise is required");
});

test("AbortController and AbortSignal", async () => {
  const controller = new AbortController();
  const { signal } = controller;
  assert.equal(signal.aborted, false);
  assert.equal(signal.reason, undefined);
  assert.throws(() => new AbortSignal(), TypeError, "not constructible");
  const events = [];
  signal.addEventListener("abort", (event) => events.push(["listener", event.isTrusted]));
  signal.onabort = () => events.push(["onabort"]);
  controller.abort();
  controller.abort("again");
  assert.deepEqual(events, [["listener", true], ["onabort"]], "fires once");
  assert.equal(signal.aborted, true);
  assert.ok(signal.reason instanceof DOMException);
  assert.equal(signal.reason.name, "AbortError");
  assert.throws(() => signal.throwIfAborted(), DOMException);
  const withReason = new AbortController();
  withReason.abort("because");
  assert.equal(withReason.signal.reason, "because");
  assert.equal(AbortSignal.abort("r").reason, "r");
  assert.equal(AbortSignal.abort().reason.name, "AbortError");
  const timeout = AbortSignal.timeout(5);
  assert.equal(timeout.aborted, false);
  await new Promise((resolve) => timeout.addEventListener("abort", resolve));
  assert.equal(timeout.reason.name, "TimeoutError");
  assert.throws(() => AbortSignal.timeout(-1), TypeError);
});

test("AbortSignal.any", () => {
  const a = new AbortController();
  const b = new AbortController();
  const any = AbortSignal.any([a.signal, b.signal]);
  let fired = 0;
  any.addEventListener("abort", () => fired++);
  b.abort("b's reason");
  assert.equal(any.aborted, true);
  assert.equal(any.reason, "b's reason");
  a.abort();
  assert.equal(fired, 1);
  assert.equal(AbortSignal.any([AbortSignal.abort("early")]).reason, "early", "already aborted");
  assert.equal(AbortSignal.any([]).aborted, false);
  assert.throws(() => AbortSignal.any([{}]), TypeError);
});

test("AbortSignal.any: dependent signals fire after their source, once each, in creation order", () => {
  const controller = new AbortController();
  const other = new AbortController();
  const a = AbortSignal.any([controller.signal]);
  const b = AbortSignal.any([a, controller.signal, other.signal]);
  const c = AbortSignal.any([b]);
  const d = AbortSignal.any([other.signal, a]);
  const order = [];
  for (const [name, signal] of [["c", c], ["source", controller.signal], ["a", a], ["d", d], ["b", b]]) {
    signal.addEventListener("abort", () => order.push(`${name}:${[a, b, c, d].map((s) => s.aborted ? 1 : 0).join("")}`));
  }
  controller.abort("why");
  assert.deepEqual(order, ["source:1111", "a:1111", "b:1111", "c:1111", "d:1111"],
    "every dependent is aborted before the source's listeners run; they fire in creation order, a signal made from a dependent one too");
  assert.equal(c.reason, "why");
  assert.equal(d.reason, "why");
  order.length = 0;
  other.abort();
  assert.deepEqual(order, [], "nothing fires twice");
});

test("global scope: dispatchEvent, reportError, unhandledrejection", async () => {
  let received;
  addEventListener("custom", (event) => { received = event; });
  assert.equal(dispatchEvent(new CustomEvent("custom", { detail: 7 })), true);
  assert.equal(received.detail, 7);
  assert.equal(received.target, globalThis);
  const error = new TypeError("reported");
  error.cancel = true;
  reportError(error);
  assert.ok(globalEvents.includes("error:reported:TypeError:true"));
  Promise.reject("nobody listens");
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(globalEvents.includes("unhandledrejection:nobody listens:true"), JSON.stringify(globalEvents));
  const request = new Request("http://a/", { signal: AbortSignal.abort() });
  assert.equal(request.signal.aborted, true, "a Request keeps the signal it was given");
});

// Issue 12 item 9: what an `error` listener throws is logged once, not dispatched again (HTML's
// "error reporting mode"), so a throwing listener cannot recurse.
test("a throwing error listener is not re-dispatched", () => {
  let calls = 0;
  const listener = (event) => {
    if (!event.error?.selfThrow) return;
    calls++;
    const again = new Error("from the error listener");
    again.selfThrow = true;
    throw again;
  };
  addEventListener("error", listener);
  let handlerCalls = 0;
  onerror = (message, source, line, column, error) => {
    if (error?.selfThrow) handlerCalls++;
    reportError(error);
  };
  try {
    const error = new Error("first");
    error.selfThrow = true;
    reportError(error);
    const target = new EventTarget();
    target.addEventListener("x", () => { throw error; });
    target.dispatchEvent(new Event("x"));
  } finally {
    removeEventListener("error", listener);
    onerror = null;
  }
  assert.equal(calls, 2, "one error event per reported exception");
  assert.equal(handlerCalls, 2, "onerror once per reported exception");
  reportError(Symbol("not convertible"));
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
