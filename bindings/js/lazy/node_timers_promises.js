// node:timers/promises (nodejs_compat; https://nodejs.org/api/timers.html#timers-promises-api):
// setTimeout / setImmediate returning promises, setInterval as an async iterator, and
// scheduler.wait; each honours an AbortSignal.
const timers = internal.require("node_timers");

function abortError(signal) {
  const error = new Error("The operation was aborted", { cause: signal.reason });
  error.name = "AbortError";
  error.code = "ABORT_ERR";
  return error;
}

function setTimeout(delay = 1, value = undefined, options = {}) {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timers.clearTimeout(id);
      reject(abortError(signal));
    };
    const id = timers.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    }, delay);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function setImmediate(value = undefined, options = {}) {
  return setTimeout(0, value, options);
}

async function* setInterval(delay = 1, value = undefined, options = {}) {
  const signal = options.signal;
  if (signal?.aborted) throw abortError(signal);
  let pending = 0;
  let wake = null;
  const id = timers.setInterval(() => {
    pending++;
    if (wake !== null) wake();
  }, delay);
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    while (true) {
      if (pending === 0) await new Promise((resolve) => (wake = resolve));
      wake = null;
      if (signal?.aborted) throw abortError(signal);
      for (; pending > 0; pending--) yield value;
    }
  } finally {
    timers.clearInterval(id);
    signal?.removeEventListener("abort", onAbort);
  }
}

const scheduler = {
  wait: (delay, options = {}) => setTimeout(delay, undefined, options),
  yield: () => setImmediate(),
};

module.exports = { setTimeout, setImmediate, setInterval, scheduler };
