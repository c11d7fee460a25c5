// Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent
// (https://dom.spec.whatwg.org/#events, https://html.spec.whatwg.org/#the-errorevent-interface)
// and AbortController, AbortSignal (https://dom.spec.whatwg.org/#aborting-ongoing-activities).
// Hand-written: there is no tree, so dispatch is the at-target part of the DOM algorithm.
// Also the global scope's own events (`error`, `unhandledrejection`): globalTarget holds the
// global's listeners, dispatched with `globalThis` as target.
// Written against internal.primordials, as dom_exception.js (no method call on a built-in, no
// spread or for...of): harden.mjs leaves it as it is, so a first `new AbortController()` or
// EventTarget loads no safe-calls runtime, and DOMException is loaded only to make one.
const { exposeInterface, logUncaught, newDOMException: domException } = internal;
const {
  $Map, $Number, $Symbol, $TypeError, $WeakMap, ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSplice, DateNow,
  MapGet, MapSet, NumberIsFinite, ObjectDefineProperty, ReflectApply, WeakMapGet, WeakMapSet, sequence,
} = internal.primordials;
const timeOrigin = DateNow();
const MAX_SAFE_INTEGER = 9007199254740991;

const NONE = 0;
const CAPTURING_PHASE = 1;
const AT_TARGET = 2;
const BUBBLING_PHASE = 3;

// Events created by atoll itself (isTrusted true).
const kTrusted = $Symbol("trusted");

function requireArgs(count, needed, what) {
  if (count < needed) throw new $TypeError(`Failed to execute '${what}': ${needed} argument${needed > 1 ? "s" : ""} required, but only ${count} present.`);
}

function dictionary(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" && typeof value !== "function") throw new $TypeError(`${what} must be an object`);
  return value;
}

// Module-private access to Event, EventTarget and AbortSignal internals (set in static blocks).
let eventAccess;
let listenerCount;
let signalAccess;

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #target = null;
  #currentTarget = null;
  #phase = NONE;
  #stopPropagation = false;
  #stopImmediate = false;
  #canceled = false;
  #inPassiveListener = false;
  #dispatching = false;
  #timeStamp;

  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "Event constructor");
    const init = dictionary(eventInitDict, "EventInit");
    this.#type = `${type}`;
    this.#bubbles = !!init.bubbles;
    this.#cancelable = !!init.cancelable;
    this.#composed = !!init.composed;
    this.#timeStamp = DateNow() - timeOrigin;
    const trusted = eventInitDict !== null && typeof eventInitDict === "object" && eventInitDict[kTrusted] === true;
    // [LegacyUnforgeable] readonly attribute boolean isTrusted: an own, non-configurable getter.
    ObjectDefineProperty(this, "isTrusted", { __proto__: null, get: trusted ? isTrustedTrue : isTrustedFalse, enumerable: true, configurable: false });
  }

  get type() { return this.#type; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#currentTarget; }
  get eventPhase() { return this.#phase; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#canceled; }
  get timeStamp() { return this.#timeStamp; }

  composedPath() {
    return this.#dispatching && this.#currentTarget !== null ? [this.#currentTarget] : [];
  }

  stopPropagation() { this.#stopPropagation = true; }
  stopImmediatePropagation() {
    this.#stopPropagation = true;
    this.#stopImmediate = true;
  }
  get cancelBubble() { return this.#stopPropagation; }
  set cancelBubble(value) { if (value) this.#stopPropagation = true; }

  preventDefault() {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }
  get returnValue() { return !this.#canceled; }
  set returnValue(value) { if (!value) this.preventDefault(); }

  initEvent(type, bubbles = false, cancelable = false) {
    requireArgs(arguments.length, 1, "initEvent");
    if (this.#dispatching) return;
    this.#type = `${type}`;
    this.#bubbles = !!bubbles;
    this.#cancelable = !!cancelable;
    this.#stopPropagation = this.#stopImmediate = this.#canceled = false;
    this.#target = null;
  }

  // For EventTarget's dispatch (module-private through `eventAccess`).
  static {
    eventAccess = {
      isEvent: (value) => value !== null && typeof value === "object" && #type in value,
      dispatching: (event) => event.#dispatching,
      begin(event, target) {
        event.#dispatching = true;
        event.#target = target;
        event.#currentTarget = target;
        event.#phase = AT_TARGET;
      },
      stopped: (event) => event.#stopPropagation,
      stoppedImmediately: (event) => event.#stopImmediate,
      setPassive(event, passive) { event.#inPassiveListener = passive; },
      end(event) {
        event.#dispatching = false;
        event.#phase = NONE;
        event.#currentTarget = null;
        event.#stopPropagation = false;
        event.#stopImmediate = false;
        return !event.#canceled;
      },
    };
  }
}
function isTrustedTrue() { return true; }
function isTrustedFalse() { return false; }
const PHASES = ["NONE", NONE, "CAPTURING_PHASE", CAPTURING_PHASE, "AT_TARGET", AT_TARGET, "BUBBLING_PHASE", BUBBLING_PHASE];
for (let i = 0; i < PHASES.length; i += 2) {
  const descriptor = { __proto__: null, value: PHASES[i + 1], writable: false, enumerable: true, configurable: false };
  ObjectDefineProperty(Event, PHASES[i], descriptor);
  ObjectDefineProperty(Event.prototype, PHASES[i], descriptor);
}

// The value dispatch reports as target/currentTarget for an EventTarget (globalTarget -> globalThis).
const targetOverride = new $WeakMap();

class EventTarget {
  #listeners = new $Map(); // type -> [{ callback, capture, once, passive, removed }]

  addEventListener(type, callback, options = undefined) {
    requireArgs(arguments.length, 2, "addEventListener");
    type = `${type}`;
    let capture = false, once = false, passive = false, signal = undefined;
    if (options !== null && typeof options === "object") {
      capture = !!options.capture;
      once = !!options.once;
      passive = !!options.passive;
      signal = options.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new $TypeError("Failed to execute 'addEventListener': member signal is not of type 'AbortSignal'.");
      }
    } else {
      capture = !!options;
    }
    if (callback === null || callback === undefined) return;
    if (typeof callback !== "function" && typeof callback !== "object") {
      throw new $TypeError("Failed to execute 'addEventListener': parameter 2 is not of type 'EventListener'.");
    }
    if (signal !== undefined && signal.aborted) return;
    let list = MapGet(this.#listeners, type);
    if (list === undefined) {
      list = [];
      MapSet(this.#listeners, type, list);
    }
    for (let i = 0; i < list.length; i++) {
      if (list[i].callback === callback && list[i].capture === capture) return;
    }
    ArrayPrototypePush(list, { callback, capture, once, passive, removed: false });
    if (signal !== undefined) {
      signalAccess.onAbort(signal, () => this.removeEventListener(type, callback, { capture }));
    }
  }

  removeEventListener(type, callback, options = undefined) {
    requireArgs(arguments.length, 2, "removeEventListener");
    type = `${type}`;
    const capture = options !== null && typeof options === "object" ? !!options.capture : !!options;
    const list = MapGet(this.#listeners, type);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      if (entry.callback === callback && entry.capture === capture) {
        entry.removed = true;
        ArrayPrototypeSplice(list, i, 1);
        return;
      }
    }
  }

  dispatchEvent(event) {
    requireArgs(arguments.length, 1, "dispatchEvent");
    if (!eventAccess.isEvent(event)) throw new $TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'.");
    if (eventAccess.dispatching(event)) {
      throw domException("Failed to execute 'dispatchEvent': The event is already being dispatched.", "InvalidStateError");
    }
    const target = WeakMapGet(targetOverride, this) ?? this;
    eventAccess.begin(event, target);
    const list = MapGet(this.#listeners, event.type);
    if (list !== undefined && list.length > 0) {
      const snapshot = ArrayPrototypeSlice(list);
      // At the target, capture listeners run first, then the others.
      for (let pass = 0; pass < 2; pass++) {
        const capturePass = pass === 0;
        for (let i = 0; i < snapshot.length; i++) {
          const entry = snapshot[i];
          if (entry.capture !== capturePass || entry.removed) continue;
          if (entry.once) this.removeEventListener(event.type, entry.callback, { capture: entry.capture });
          invokeListener(entry, target, event);
          if (eventAccess.stoppedImmediately(event)) break;
        }
        if (eventAccess.stoppedImmediately(event)) break;
      }
    }
    return eventAccess.end(event);
  }

  static {
    listenerCount = (target, type) => MapGet(target.#listeners, type)?.length ?? 0;
  }
}
function invokeListener(entry, target, event) {
  eventAccess.setPassive(event, entry.passive);
  try {
    const callback = entry.callback;
    if (typeof callback === "function") {
      ReflectApply(callback, target, [event]);
    } else {
      const handleEvent = callback.handleEvent;
      if (typeof handleEvent !== "function") throw new $TypeError("The event listener has no handleEvent() method.");
      ReflectApply(handleEvent, callback, [event]);
    }
  } catch (error) {
    reportError(error);
  } finally {
    eventAccess.setPassive(event, false);
  }
}

class CustomEvent extends Event {
  #detail;

  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "CustomEvent constructor");
    super(type, eventInitDict);
    this.#detail = dictionary(eventInitDict, "CustomEventInit").detail ?? null;
  }

  get detail() { return this.#detail; }

  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    requireArgs(arguments.length, 1, "initCustomEvent");
    if (eventAccess.dispatching(this)) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}

class ErrorEvent extends Event {
  #message;
  #filename;
  #lineno;
  #colno;
  #error;

  constructor(type, eventInitDict = undefined) {
    requireArgs(arguments.length, 1, "ErrorEvent constructor");
    super(type, eventInitDict);
    const init = dictionary(eventInitDict, "ErrorEventInit");
    this.#message = init.message === undefined ? "" : `${init.message}`;
    this.#filename = init.filename === undefined ? "" : `${init.filename}`;
    this.#lineno = init.lineno >>> 0;
    this.#colno = init.colno >>> 0;
    this.#error = init.error;
  }

  get message() { return this.#message; }
  get filename() { return this.#filename; }
  get lineno() { return this.#lineno; }
  get colno() { return this.#colno; }
  get error() { return this.#error; }
}

class PromiseRejectionEvent extends Event {
  #promise;
  #reason;

  constructor(type, eventInitDict) {
    requireArgs(arguments.length, 2, "PromiseRejectionEvent constructor");
    const init = dictionary(eventInitDict, "PromiseRejectionEventInit");
    if (!("promise" in init)) throw new $TypeError("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
    super(type, eventInitDict);
    this.#promise = init.promise;
    this.#reason = init.reason;
  }

  get promise() { return this.#promise; }
  get reason() { return this.#reason; }
}

// ---------------------------------------------------------------------------------------------
// AbortSignal, AbortController

const kCreate = { __proto__: null };  // the constructor's token

function abortError() {
  return domException("This operation was aborted", "AbortError");
}

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #algorithms = [];
  #onabort = null;
  #dependents = []; // signals made by AbortSignal.any() that follow this one, in creation order
  #dependent = false; // made by AbortSignal.any()
  #sources = []; // a dependent signal's source signals: never themselves dependent

  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    super();
  }

  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }

  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }

  get onabort() { return this.#onabort; }
  set onabort(value) {
    const handler = typeof value === "function" || (value !== null && typeof value === "object") ? value : null;
    if (this.#onabort === null && handler !== null) {
      this.addEventListener("abort", (event) => {
        const current = this.#onabort;
        if (typeof current === "function") ReflectApply(current, this, [event]);
      });
    }
    this.#onabort = handler;
  }

  static abort(reason = undefined) {
    const signal = signalAccess.create();
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  static timeout(milliseconds) {
    requireArgs(arguments.length, 1, "AbortSignal.timeout");
    const ms = $Number(milliseconds);
    if (!NumberIsFinite(ms) || ms < 0 || ms > MAX_SAFE_INTEGER) {
      throw new $TypeError("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range.");
    }
    const signal = signalAccess.create();
    internal.setTimeout(() => {
      signal.#abort(domException("The operation timed out.", "TimeoutError"));
    }, ms);
    return signal;
  }

  static any(signals) {
    requireArgs(arguments.length, 1, "AbortSignal.any");
    const list = sequence(signals, "Failed to execute 'any' on 'AbortSignal': signals");
    for (let i = 0; i < list.length; i++) {
      if (!signalAccess.is(list[i])) throw new $TypeError("Failed to execute 'any' on 'AbortSignal': member is not of type 'AbortSignal'.");
    }
    const result = signalAccess.create();
    for (let i = 0; i < list.length; i++) {
      const signal = list[i];
      if (signal.#aborted) {
        result.#aborted = true;
        result.#reason = signal.#reason;
        return result;
      }
    }
    // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal: a dependent signal follows the
    // sources of the dependent signals it is given, so aborting a source aborts every signal
    // made from it at once, each once, in the order they were made.
    result.#dependent = true;
    const follow = (source) => {
      const sources = result.#sources;
      for (let i = 0; i < sources.length; i++) if (sources[i] === source) return;
      ArrayPrototypePush(sources, source);
      ArrayPrototypePush(source.#dependents, result);
    };
    for (let i = 0; i < list.length; i++) {
      const signal = list[i];
      if (!signal.#dependent) follow(signal);
      else for (let j = 0; j < signal.#sources.length; j++) follow(signal.#sources[j]);
    }
    return result;
  }

  // https://dom.spec.whatwg.org/#abortsignal-signal-abort
  #abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? abortError() : reason;
    const dependents = [];
    for (let i = 0; i < this.#dependents.length; i++) {
      if (!this.#dependents[i].#aborted) ArrayPrototypePush(dependents, this.#dependents[i]);
    }
    this.#dependents = [];
    for (let i = 0; i < dependents.length; i++) {
      dependents[i].#aborted = true;
      dependents[i].#reason = this.#reason;
    }
    this.#runAbortSteps();
    for (let i = 0; i < dependents.length; i++) dependents[i].#runAbortSteps();
  }

  #runAbortSteps() {
    const algorithms = this.#algorithms;
    this.#algorithms = [];
    for (let i = 0; i < algorithms.length; i++) {
      try {
        const algorithm = algorithms[i];
        algorithm();
      } catch (error) {
        reportError(error);
      }
    }
    this.dispatchEvent(new Event("abort", { [kTrusted]: true }));
  }

  static {
    // `this`, and no use of the class's name in its body: esbuild would rename a class that
    // names itself (`class _AbortSignal`, and AbortSignal.name with it).
    const Signal = this;
    signalAccess = {
      create: () => new Signal(kCreate),
      is: (value) => value !== null && typeof value === "object" && #aborted in value,
      abort: (signal, reason) => signal.#abort(reason),
      // Runs `algorithm` when the signal aborts (not when already aborted).
      onAbort: (signal, algorithm) => ArrayPrototypePush(signal.#algorithms, algorithm),
    };
  }
}

class AbortController {
  #signal = signalAccess.create();

  get signal() { return this.#signal; }

  abort(reason = undefined) {
    signalAccess.abort(this.#signal, reason);
  }
}

const INTERFACES = [Event, "Event", EventTarget, "EventTarget", CustomEvent, "CustomEvent", ErrorEvent, "ErrorEvent",
  PromiseRejectionEvent, "PromiseRejectionEvent", AbortSignal, "AbortSignal", AbortController, "AbortController"];
for (let i = 0; i < INTERFACES.length; i += 2) exposeInterface(INTERFACES[i], INTERFACES[i + 1], false);

// ---------------------------------------------------------------------------------------------
// The global scope's events

const globalTarget = new EventTarget();
WeakMapSet(targetOverride, globalTarget, globalThis);

// https://html.spec.whatwg.org/multipage/webappapis.html#report-an-exception: an `error`
// ErrorEvent at the global scope; logged unless a listener cancels it. While that event is being
// dispatched the global is in "error reporting mode": what its listeners throw (or report) is
// logged, not dispatched again, so a throwing `error` listener cannot recurse.
let errorReportingMode = false;
function errorEventMessage(error) {
  try {
    return error !== null && typeof error === "object" && "message" in error ? `${error.message}` : `${error}`;
  } catch {
    return "";
  }
}
function reportError(error) {
  if (errorReportingMode) {
    logUncaught(error);
    return;
  }
  const handler = globalThis.onerror;
  if (listenerCount(globalTarget, "error") > 0 || typeof handler === "function") {
    errorReportingMode = true;
    try {
      const message = errorEventMessage(error);
      const event = new ErrorEvent("error", { message, error, cancelable: true, [kTrusted]: true });
      if (!globalTarget.dispatchEvent(event)) return;
      if (typeof handler === "function" && callHandler(handler, [message, "", 0, 0, error]) === true) return;
    } finally {
      errorReportingMode = false;
    }
  }
  logUncaught(error);
}

// An unhandled rejection: an `unhandledrejection` event; true when a listener or the
// onunhandledrejection handler cancelled it.
function unhandledRejection(promise, reason) {
  const handler = globalThis.onunhandledrejection;
  if (listenerCount(globalTarget, "unhandledrejection") === 0 && typeof handler !== "function") return false;
  const event = new PromiseRejectionEvent("unhandledrejection", { promise, reason, cancelable: true, [kTrusted]: true });
  if (!globalTarget.dispatchEvent(event)) return true;
  return typeof handler === "function" && callHandler(handler, [event]) === false;
}

// A global event handler's result; what it throws is logged, not thrown at the caller.
function callHandler(handler, args) {
  try {
    return ReflectApply(handler, globalThis, args);
  } catch (error) {
    logUncaught(error);
    return undefined;
  }
}

function dispatchEvent(event) {
  requireArgs(arguments.length, 1, "dispatchEvent");
  return globalTarget.dispatchEvent(event);
}

function reportErrorGlobal(error) {
  requireArgs(arguments.length, 1, "reportError");
  reportError(error);
}
ObjectDefineProperty(reportErrorGlobal, "name", { __proto__: null, value: "reportError" });

module.exports = {
  Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, AbortSignal, AbortController,
  dispatchEvent, reportError: reportErrorGlobal, globalTarget, unhandledRejection, reportException: reportError,
  signalAccess,
};
