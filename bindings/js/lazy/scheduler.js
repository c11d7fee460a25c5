// The `scheduler` global of Cloudflare Workers
// (https://developers.cloudflare.com/workers/runtime-apis/scheduler/): scheduler.wait(ms, { signal })
// resolves after ms milliseconds, an awaitable setTimeout; an aborted signal rejects it with the
// signal's reason. Built on the runtime's own timers (js/50_timers.js), not on the globals.
const { setTimeout, clearTimeout } = internal;
const $Promise = Promise;
const $TypeError = TypeError;
const kCreate = Symbol("create");

class Scheduler {
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
  }

  wait(delay = 0, options = undefined) {
    const signal = options?.signal;
    if (signal !== undefined && signal !== null && signal.aborted) return $Promise.reject(signal.reason);
    return new $Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(id);
        reject(signal.reason);
      };
      const id = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, delay);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

Object.defineProperty(Scheduler.prototype, Symbol.toStringTag, { value: "Scheduler", configurable: true });
const scheduler = new Scheduler(kCreate);

export { scheduler, Scheduler };
