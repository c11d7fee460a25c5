// The small globals of the WinterTC list: structuredClone
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone, V8's
// ValueSerializer in C++), performance (https://w3c.github.io/hr-time/) and navigator
// (userAgent "atoll/VERSION"). As in Cloudflare Workers, performance.timeOrigin is 0 and
// performance.now() is Date.now(): coarse, and frozen between I/O events (SPEC §3).
const { exposeInterface } = internal;
const { DOMException } = internal.require("dom_exception");
const nativeStructuredClone = native.structuredClone;
const DateNow = Date.now;
const $TypeError = TypeError;
const kCreate = Symbol("create");

function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new $TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  let transfer;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object") throw new $TypeError("structuredClone: options must be an object");
    if (options.transfer !== undefined) transfer = [...options.transfer];
  }
  try {
    return nativeStructuredClone(value, transfer);
  } catch (error) {
    if (error instanceof Error && error.name === "DataCloneError") throw new DOMException(error.message, "DataCloneError");
    throw error;
  }
}

const timeOrigin = 0;

class Performance {
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
  }

  get timeOrigin() {
    return timeOrigin;
  }

  now() {
    return DateNow();
  }

  toJSON() {
    return { timeOrigin };
  }
}

class Navigator {
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
  }

  get userAgent() {
    return `atoll/${native.version()}`;
  }
}

exposeInterface(Performance, "Performance", false);
exposeInterface(Navigator, "Navigator", false);
const performance = new Performance(kCreate);
const navigator = new Navigator(kCreate);

export { structuredClone, performance, Performance, navigator, Navigator };
