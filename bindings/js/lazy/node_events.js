// node:events (nodejs_compat; https://nodejs.org/api/events.html): the npm `events` 3.3.0 package
// (Node's EventEmitter for every engine: on/once/off, the promise `once`, listener counts),
// with Event and EventTarget from atoll's own events module.
const npm = require("atoll-npm:events");

const dom = internal.require("events");
const EventEmitter = npm.EventEmitter;

// events.on(emitter, name): an async iterator of the events' argument arrays (Node >= 12.16).
function on(emitter, event, options = undefined) {
  const queue = [];
  const waiting = [];
  let error = null;
  let done = false;
  const signal = options?.signal;
  const push = (...args) => {
    if (waiting.length > 0) waiting.shift().resolve({ value: args, done: false });
    else queue.push(args);
  };
  const fail = (err) => {
    done = true;
    if (waiting.length > 0) waiting.shift().reject(err);
    else error = err;
    iterator.return();
  };
  emitter.on(event, push);
  if (event !== "error") emitter.on("error", fail);
  const iterator = {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (error !== null) {
        const err = error;
        error = null;
        return Promise.reject(err);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      emitter.removeListener(event, push);
      emitter.removeListener("error", fail);
      done = true;
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      fail(err);
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  if (signal !== undefined) {
    if (signal.aborted) fail(signal.reason);
    else signal.addEventListener("abort", () => fail(signal.reason), { once: true });
  }
  return iterator;
}

function getEventListeners(emitter, name) {
  if (typeof emitter.listeners === "function") return emitter.listeners(name);
  return [];
}

function addAbortListener(signal, listener) {
  if (signal.aborted) {
    Promise.resolve().then(() => listener());
  } else {
    signal.addEventListener("abort", listener, { once: true });
  }
  return { [Symbol.dispose || Symbol.for("nodejs.dispose")]() { signal.removeEventListener("abort", listener); } };
}

EventEmitter.on = on;
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.addAbortListener = addAbortListener;
EventEmitter.setMaxListeners = function setMaxListeners(n = 10, ...targets) {
  if (targets.length === 0) EventEmitter.defaultMaxListeners = n;
  for (const target of targets) if (typeof target.setMaxListeners === "function") target.setMaxListeners(n);
};
EventEmitter.errorMonitor = Symbol("events.errorMonitor");
EventEmitter.captureRejections = false;
EventEmitter.Event = dom.Event;
EventEmitter.EventTarget = dom.EventTarget;
EventEmitter.EventEmitter = EventEmitter;

// CommonJS shape, as Node's: the module is the EventEmitter class with the helpers on it.
module.exports = EventEmitter;
