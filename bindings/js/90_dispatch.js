"use strict";
// 90_dispatch.js: from internal.dispatch (C++) to the tenant's handler and back.
//
// Two script styles (https://developers.cloudflare.com/workers/reference/migrate-to-module-workers/):
// - ES module: `export default { fetch(request, env, ctx) }`, called with `this` = the default
//   export; `ctx` has waitUntil(promise) and passThroughOnException().
// - service worker: `addEventListener("fetch", (event) => event.respondWith(...))`. Env bindings
//   are globals in this mode (the Worker puts them on the global before the script runs).
// - scheduled events (cron triggers, https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/):
//   `export default { scheduled(controller, env, ctx) }` or `addEventListener("scheduled", e => ...)`.
//   C++ dispatches them like a request with a cron string; the answer is a 200 "Ran scheduled
//   event" once the handler's promise and every ctx.waitUntil promise settled, or a failure (the
//   outcome "exception") with the first error. A script with only a scheduled handler is
//   accepted; its HTTP requests get 501 no_fetch_handler.
// - RPC only: a default export that is a class extending WorkerEntrypoint needs no fetch(), as on
//   Workers (https://developers.cloudflare.com/workers/runtime-apis/rpc/): service bindings call
//   its methods; its HTTP requests get 501 no_fetch_handler too.
//
// The handler's result (or what respondWith got) must be a Response or a promise for one. A
// Response returned synchronously is sent synchronously: no promise is created. Anything else
// ends the request with native.fail(). Exactly one of native.respond / native.fail is called per
// request id.
//
// ctx.waitUntil(promise) / event.waitUntil(promise): a rejection is logged ("Uncaught (in
// waitUntil) ..."). If C++ provides native.waitUntil(id, promise) it is called too, so that the
// runtime can keep the request's context alive until the promise settles.
// passThroughOnException() is a no-op: atoll has no origin to pass the request through to, an
// exception is always a 500 script_error.

const {
  defineGlobal, exposeInterface, newIncomingRequest, sendResponse, reportError, errorMessage,
  inspect, uncurryThis,
} = internal;
const nativeFail = native.fail;
const { dropUpload, settleCf } = internal;

// native.fail, and the request body the failed handler may not have read is discarded.
function failRequest(id, message) {
  nativeFail(id, message);
  dropUpload(id);
}
const nativeWaitUntil = typeof native.waitUntil === "function" ? native.waitUntil : null;
const nativeLog = native.log;
const FunctionPrototypeCall = Function.prototype.call;
const call = FunctionPrototypeCall.bind(FunctionPrototypeCall); // call(fn, thisArg, ...args)
const PromiseResolve = Promise.resolve.bind(Promise);
const {
  PromisePrototypeThen, ArrayPrototypePush, ArrayPrototypeSlice, MapGet, MapSet,
  StringPrototypeSlice,
} = internal.primordials;
const ArrayPrototypeSplice = uncurryThis(Array.prototype.splice);
const $TypeError = TypeError;
const $Response = Response;
const { MapDelete, JSONStringify } = internal.primordials;
const $Map = Map;

// Scheduled event id -> its waitUntil promises, awaited before the event is reported done (made
// by the first scheduled event).
let scheduledWaits;

const kToken = {};

function describe(value) {
  let text;
  try {
    text = inspect(value, 0);
  } catch {
    text = typeof value;
  }
  return text.length > 200 ? `${StringPrototypeSlice(text, 0, 200)}...` : text;
}

function notAResponse(value) {
  return `handler did not return a Response (got ${describe(value)})`;
}

function logWaitUntilRejection(error) {
  let message;
  try {
    message = `Uncaught (in waitUntil) ${errorMessage(error)}`;
  } catch {
    message = "Uncaught (in waitUntil) exception";
  }
  nativeLog("error", message);
}

function waitUntil(id, value, request) {
  if (request !== undefined) settleCf(request);
  const promise = PromiseResolve(value);
  if (scheduledWaits !== undefined) {
    const waits = MapGet(scheduledWaits, id);
    if (waits !== undefined) ArrayPrototypePush(waits, promise);
  }
  PromisePrototypeThen(promise, undefined, logWaitUntilRejection);
  if (nativeWaitUntil !== null) nativeWaitUntil(id, promise);
}

// cloudflare:workers' waitUntil(promise) (js/lazy/cloudflare_workers.js): ctx.waitUntil of the
// request or event whose JS is running.
internal.waitUntilOfRunning = function waitUntilOfRunning(promise) {
  const id = native.runningRequest();
  if (id === 0) throw new $TypeError("waitUntil() can only be called while handling a request or event (not at the top level of the script)");
  waitUntil(id, promise, undefined);
};

function invalidState(message) {
  const DOMException = internal.DOMException || globalThis.DOMException;
  if (typeof DOMException === "function") return new DOMException(message, "InvalidStateError");
  return new $TypeError(message);
}

// ---------------------------------------------------------------------------------------------
// Completing a request

async function settleAsync(id, promise) {
  let value;
  try {
    value = await promise;
  } catch (e) {
    failRequest(id, errorMessage(e));
    return;
  }
  if (!sendResponse(id, value)) failRequest(id, notAResponse(value));
}

function settle(id, result) {
  if (sendResponse(id, result)) return;
  if (result !== null && (typeof result === "object" || typeof result === "function")) {
    let then;
    try {
      then = result.then;
    } catch (e) {
      failRequest(id, errorMessage(e));
      return;
    }
    if (typeof then === "function") {
      settleAsync(id, result);
      return;
    }
  }
  failRequest(id, notAResponse(result));
}

// ---------------------------------------------------------------------------------------------
// ES module handlers

class ExecutionContext {
  #id;
  #request; // the fetch handler's request (its cf is settled by waitUntil), or undefined

  constructor(token, id, request) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#id = id;
    this.#request = request;
  }

  waitUntil(promise) {
    const id = this.#id;
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'waitUntil' on 'ExecutionContext': 1 argument required, but only 0 present.");
    waitUntil(id, promise, this.#request);
  }

  passThroughOnException() {
    this.#id;
  }
}
exposeInterface(ExecutionContext, "ExecutionContext", false);

// ---------------------------------------------------------------------------------------------
// Service-worker handlers: addEventListener / removeEventListener on the global scope.

const listeners = new Map(); // type -> [{ callback, capture, once, removed }]

function flattenOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false };
  if (options !== null && typeof options === "object") return { capture: !!options.capture, once: !!options.once };
  return { capture: !!options, once: false };
}

// Events other than "fetch" go to the events module's EventTarget for the global scope.
function globalTarget() {
  return internal.require("events").globalTarget;
}

function addEventListener(type, callback, options = undefined) {
  if (arguments.length < 2) throw new $TypeError(`Failed to execute 'addEventListener': 2 arguments required, but only ${arguments.length} present.`);
  type = `${type}`;
  if (type !== "fetch" && type !== "scheduled") return globalTarget().addEventListener(type, callback, options);
  const { capture, once } = flattenOptions(options);
  if (callback === null || callback === undefined) return;
  if (typeof callback !== "function" && typeof callback !== "object") {
    throw new $TypeError("Failed to execute 'addEventListener': parameter 2 is not of type 'EventListener'.");
  }
  let list = MapGet(listeners, type);
  if (list === undefined) {
    list = [];
    MapSet(listeners, type, list);
  }
  for (let i = 0; i < list.length; i++) {
    if (list[i].callback === callback && list[i].capture === capture) return;
  }
  ArrayPrototypePush(list, { callback, capture, once, removed: false });
}

function removeEventListener(type, callback, options = undefined) {
  if (arguments.length < 2) throw new $TypeError(`Failed to execute 'removeEventListener': 2 arguments required, but only ${arguments.length} present.`);
  type = `${type}`;
  if (type !== "fetch" && type !== "scheduled") return globalTarget().removeEventListener(type, callback, options);
  const { capture } = flattenOptions(options);
  const list = MapGet(listeners, type);
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

// https://html.spec.whatwg.org/multipage/workers.html#dom-workerglobalscope-self
defineGlobal("self", globalThis);
defineGlobal("addEventListener", addEventListener);
defineGlobal("removeEventListener", removeEventListener);

// The global scope's event handler attributes (https://html.spec.whatwg.org/#event-handler-attributes)
// are plain data properties here: the events module calls the function they hold, after the
// listeners, when it dispatches `error` (as (message, filename, lineno, colno, error); true
// cancels) or `unhandledrejection` (with the event; false cancels).
defineGlobal("onerror", null);
defineGlobal("onunhandledrejection", null);

// The events module when it is loaded or a global handler is set (it would then be needed).
function globalEvents(handler) {
  const events = internal.loaded("events");
  if (events !== undefined) return events;
  let value;
  try {
    value = globalThis[handler];
  } catch {
    return undefined;
  }
  return typeof value === "function" ? internal.require("events") : undefined;
}
internal.globalEvents = globalEvents;

// Called by C++ for each promise rejected with no handler by the end of a run, with the text to
// log: an `unhandledrejection` event at the global scope first, which a listener may cancel.
internal.unhandledRejection = function unhandledRejection(promise, reason) {
  const events = globalEvents("onunhandledrejection");
  if (events !== undefined && events.unhandledRejection(promise, reason)) return;
  nativeLog("error", `Uncaught (in promise) ${errorMessage(reason)}`);
};

let eventState;

// Not a global (Event/EventTarget do not exist yet); handed to fetch listeners.
class FetchEvent {
  #id;
  #request;
  #dispatching = true;
  #responded = false;
  #response = undefined;
  #stop = false;
  #canceled = false;

  constructor(token, id, request) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#id = id;
    this.#request = request;
  }

  get type() {
    this.#id;
    return "fetch";
  }

  get request() {
    return this.#request;
  }

  get defaultPrevented() {
    return this.#canceled;
  }

  respondWith(response) {
    this.#id;
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'respondWith' on 'FetchEvent': 1 argument required, but only 0 present.");
    if (!this.#dispatching) {
      throw invalidState("Failed to execute 'respondWith' on 'FetchEvent': The event handler is already finished.");
    }
    if (this.#responded) {
      throw invalidState("Failed to execute 'respondWith' on 'FetchEvent': The event has already been responded to.");
    }
    this.#canceled = true;
    this.#stop = true;
    this.#responded = true;
    this.#response = response;
  }

  waitUntil(promise) {
    const id = this.#id;
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'waitUntil' on 'FetchEvent': 1 argument required, but only 0 present.");
    waitUntil(id, promise, this.#request);
  }

  passThroughOnException() {
    this.#id;
  }

  preventDefault() {
    this.#canceled = true;
  }

  stopPropagation() {
    this.#id;
  }

  stopImmediatePropagation() {
    this.#stop = true;
  }

  static {
    eventState = {
      stopped: (event) => event.#stop,
      finish: (event) => {
        event.#dispatching = false;
        return event.#responded;
      },
      response: (event) => event.#response,
    };
  }
}
exposeInterface(FetchEvent, "FetchEvent", false);

function dispatchFetchEvent(id, request) {
  const list = MapGet(listeners, "fetch");
  if (list === undefined || list.length === 0) {
    failRequest(id, "no 'fetch' event listener is registered");
    return;
  }
  const event = new FetchEvent(kToken, id, request);
  const snapshot = list.length === 1 ? list : ArrayPrototypeSlice(list);
  let firstError;
  let failed = false;
  for (let i = 0; i < snapshot.length; i++) {
    const entry = snapshot[i];
    if (entry.removed) continue;
    if (entry.once) removeEventListener("fetch", entry.callback, entry.capture);
    try {
      const callback = entry.callback;
      if (typeof callback === "function") {
        call(callback, globalThis, event);
      } else {
        const handleEvent = callback.handleEvent;
        if (typeof handleEvent !== "function") throw new $TypeError("The 'fetch' event listener has no handleEvent() method.");
        call(handleEvent, callback, event);
      }
    } catch (e) {
      if (failed) {
        reportError(e);
      } else {
        failed = true;
        firstError = e;
      }
    }
    if (eventState.stopped(event)) break;
  }
  if (eventState.finish(event)) {
    if (failed) reportError(firstError);
    settle(id, eventState.response(event));
  } else if (failed) {
    failRequest(id, errorMessage(firstError));
  } else {
    failRequest(id, "no 'fetch' event listener called respondWith()");
  }
}

// ---------------------------------------------------------------------------------------------
// Scheduled events: lazy module `scheduled` (js/lazy/scheduled.js), given this view of the
// handler, the listeners and the answer.

function dispatchScheduled(id, cron, scheduledTime, env) {
  const host = {
    handler: mode === MODE_MODULE ? handler : null,
    listeners: MapGet(listeners, "scheduled"),
    newContext: (eventId) => new ExecutionContext(kToken, eventId),
    waitUntil,
    waitsOf(eventId) {
      if (scheduledWaits === undefined) scheduledWaits = new $Map();
      const waits = [];
      MapSet(scheduledWaits, eventId, waits);
      return waits;
    },
    done(eventId, failed, error) {
      MapDelete(scheduledWaits, eventId);
      if (failed) {
        failRequest(eventId, `scheduled event: ${errorMessage(error)}`);
      } else {
        sendResponse(eventId, new $Response("Ran scheduled event\n", { headers: { "content-type": "text/plain" } }));
      }
    },
    removeListener: (callback, capture) => removeEventListener("scheduled", callback, capture),
    reportError,
    call,
  };
  internal.require("scheduled").dispatchScheduled(host, id, cron, scheduledTime, env);
}

// An HTTP request to a Worker that has only a scheduled handler, or only RPC methods.
function noFetchHandler(id, message = "this Worker has no fetch handler (only scheduled()); it runs on its cron triggers") {
  const body = JSONStringify({ error: "no_fetch_handler", message });
  sendResponse(id, new $Response(body, { status: 501, headers: { "content-type": "application/json" } }));
}

// ---------------------------------------------------------------------------------------------
// Entry points for C++

const MODE_NONE = 0;
const MODE_MODULE = 1;
const MODE_SERVICE_WORKER = 2;
let mode = MODE_NONE;
let handler = null;

function hasListener(type) {
  const list = MapGet(listeners, type);
  return list !== undefined && list.length > 0;
}

// Durable Objects' classes and forwarded calls (js/lazy/durable_objects.js).
let tenantExports, doHook;
let entrypointClass; // a default export that is a class (WorkerEntrypoint): RPC calls reach it
internal.tenantExport = (name) => tenantExports?.[name];
internal.setDoHook = (hook) => { doHook = hook; };

internal.setHandler = function setHandler(namespace) {
  tenantExports = namespace;
  entrypointClass = undefined;
  if (namespace !== undefined && namespace !== null) {
    const exported = namespace.default;
    if (typeof exported === "function" && exported.prototype != null) entrypointClass = exported;
    if (exported !== null && (typeof exported === "object" || typeof exported === "function") &&
        (typeof exported.fetch === "function" || typeof exported.scheduled === "function" ||
         typeof exported.queue === "function")) {
      mode = MODE_MODULE;
      handler = exported;
      return;
    }
    // A class entrypoint (cloudflare:workers): made per event by the lazy module's wrapper.
    const proto = typeof exported === "function" ? exported.prototype : undefined;
    if (proto != null && (typeof proto.fetch === "function" || typeof proto.scheduled === "function" ||
                          typeof proto.queue === "function" ||
                          internal.require("cloudflare_workers").isWorkerEntrypoint(exported))) {
      mode = MODE_MODULE;
      handler = internal.require("cloudflare_workers").entrypointOf(exported);
      return;
    }
  }
  if (hasListener("fetch") || hasListener("scheduled")) {
    mode = MODE_SERVICE_WORKER;
    return;
  }
  if (namespace === undefined) {
    throw new $TypeError("the script registered no 'fetch' event listener (addEventListener(\"fetch\", (event) => event.respondWith(...)))");
  }
  throw new $TypeError("the module has no default export with a fetch(), scheduled() or queue() method (export default { async fetch(request, env, ctx) { ... } })");
};

internal.dispatch = function dispatch(id, method, url, headers, body, env, cron, scheduledTime, rpc, entrypoint) {
  if (cron !== undefined) {
    dispatchScheduled(id, cron, scheduledTime, env);
    return;
  }
  if (rpc === true || entrypoint !== undefined) {
    // A service binding's RPC call (js/lazy/fetch.js), or a request to a binding's entrypoint.
    const request = rpc === true ? body : newIncomingRequest(method, url, headers, body, id);
    return settle(id, internal.require("cloudflare_workers").serve(rpc === true, request, env,
      new ExecutionContext(kToken, id, rpc === true ? undefined : request), entrypoint === undefined ? entrypointClass : tenantExports?.[entrypoint], entrypoint));
  }
  const request = newIncomingRequest(method, url, headers, body, id);
  const forwarded = doHook?.(request);
  if (forwarded !== undefined) return settle(id, forwarded);
  if (mode === MODE_MODULE) {
    let result;
    try {
      const target = handler;
      const fetch = target.fetch;
      if (typeof fetch !== "function") {
        if (typeof target.scheduled === "function") {
          noFetchHandler(id);
          return;
        }
        if (typeof target.queue === "function") {
          noFetchHandler(id, "this Worker has no fetch handler (only queue()); it consumes its queues");
          return;
        }
        if (entrypointClass !== undefined) {
          noFetchHandler(id, "this Worker has no fetch handler: its entrypoint answers RPC calls of service bindings only");
          return;
        }
        failRequest(id, "the default export has no fetch() method any more");
        return;
      }
      result = call(fetch, target, request, env, new ExecutionContext(kToken, id, request));
    } catch (e) {
      failRequest(id, errorMessage(e));
      return;
    }
    settle(id, result);
  } else if (mode === MODE_SERVICE_WORKER) {
    if (!hasListener("fetch") && hasListener("scheduled")) {
      noFetchHandler(id);
      return;
    }
    dispatchFetchEvent(id, request);
  } else {
    failRequest(id, "no handler: internal.setHandler() was not called");
  }
};
