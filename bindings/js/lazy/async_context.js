// AsyncLocalStorage and AsyncResource (https://nodejs.org/api/async_context.html), what Workers
// has of node:async_hooks (js/lazy/node_async_hooks.js re-exports them under nodejs_compat).
// A store lives in the async context frame (js/03_async_context.js): a frame is undefined or a
// Map from AsyncLocalStorage to its store, copied, never changed, when run() or enterWith() makes
// a new one. V8 carries the current frame through await and promise reactions; the glue carries it
// through timers and stream callbacks, so code runs with the stores of the frame that scheduled it.
const { captureFrame, runInFrame, getAsyncFrame, setAsyncFrame, enableAsyncContext } = internal;

// The current frame with `storage` set to `store` (or removed, with `remove`).
function frameWith(storage, store, remove) {
  const current = getAsyncFrame();
  const next = current === undefined ? new Map() : new Map(current);
  if (remove) next.delete(storage);
  else next.set(storage, store);
  return next.size === 0 ? undefined : next;
}

function checkFunction(fn, what) {
  if (typeof fn !== "function") throw new TypeError(`The "${what}" argument must be of type function`);
}

class AsyncLocalStorage {
  #enabled = true;
  #defaultValue;
  #name;

  // options (Node 24): defaultValue, what getStore() answers outside any run(); name.
  constructor(options = undefined) {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError('The "options" argument must be of type object');
    }
    this.#defaultValue = options?.defaultValue;
    this.#name = options?.name === undefined ? "" : `${options.name}`;
    enableAsyncContext();
  }

  get name() {
    return this.#name;
  }

  // fn(...args) with this storage's store `store`, in a frame of its own.
  run(store, fn, ...args) {
    checkFunction(fn, "callback");
    this.#enabled = true;
    return runInFrame(frameWith(this, store, false), fn, undefined, args);
  }

  // fn(...args) with the store undefined for this storage (not its defaultValue, as Node).
  exit(fn, ...args) {
    checkFunction(fn, "callback");
    return runInFrame(frameWith(this, undefined, false), fn, undefined, args);
  }

  getStore() {
    if (!this.#enabled) return undefined;
    const frame = getAsyncFrame();
    return frame === undefined || !frame.has(this) ? this.#defaultValue : frame.get(this);
  }

  // `store` for the rest of the current synchronous run and what it schedules.
  enterWith(store) {
    this.#enabled = true;
    setAsyncFrame(frameWith(this, store, false));
  }

  // getStore() is undefined until the next run() or enterWith().
  disable() {
    this.#enabled = false;
    const frame = getAsyncFrame();
    if (frame !== undefined && frame.has(this)) setAsyncFrame(frameWith(this, undefined, true));
  }

  // fn, made to run in the current frame.
  static bind(fn) {
    checkFunction(fn, "fn");
    const frame = getAsyncFrame();
    return function bound(...args) {
      return runInFrame(frame, fn, this, args);
    };
  }

  // A function that runs (fn, ...args) in the frame current now.
  static snapshot() {
    const frame = getAsyncFrame();
    return function runInSnapshot(fn, ...args) {
      checkFunction(fn, "fn");
      return runInFrame(frame, fn, undefined, args);
    };
  }
}

// A resource that runs callbacks in the frame current when it was made (its "async scope").
class AsyncResource {
  #frame;
  #type;

  constructor(type, options = undefined) {
    if (typeof type !== "string") throw new TypeError('The "type" argument must be of type string');
    this.#type = type;
    this.#frame = captureFrame();
  }

  runInAsyncScope(fn, thisArg, ...args) {
    checkFunction(fn, "fn");
    return runInFrame(this.#frame, fn, thisArg, args);
  }

  bind(fn, thisArg = undefined) {
    checkFunction(fn, "fn");
    const resource = this;
    const bound = thisArg === undefined
      ? function bound(...args) { return resource.runInAsyncScope(fn, this, ...args); }
      : function bound(...args) { return resource.runInAsyncScope(fn, thisArg, ...args); };
    Object.defineProperty(bound, "length", { __proto__: null, configurable: true, value: fn.length });
    return bound;
  }

  static bind(fn, type = undefined, thisArg = undefined) {
    checkFunction(fn, "fn");
    return new AsyncResource(typeof type === "string" ? type : fn.name || "bound-anonymous-fn").bind(fn, thisArg);
  }

  // Node's async hooks are not there: these answer as a resource with no hooks would.
  emitDestroy() {
    return this;
  }

  asyncId() {
    return 0;
  }

  triggerAsyncId() {
    return 0;
  }
}

export { AsyncLocalStorage, AsyncResource };
