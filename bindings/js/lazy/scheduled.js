// Scheduled events (cron triggers,
// https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/): the
// ScheduledController a module's scheduled(controller, env, ctx) gets, the ScheduledEvent of
// addEventListener("scheduled"), and the dispatch of one event. Loaded on a context's first
// scheduled event (or first read of either global), not kept in the snapshot: a per_request
// context deserializes every snapshot function for every request, and most tenants have no cron.
// js/90_dispatch.js calls dispatchScheduled with `host`, its own view of the handler, the
// listeners and the answer natives; the answer is a 200 "Ran scheduled event" once the handler's
// promise and every waitUntil promise settled, or a failure with the first error.
const { exposeInterface } = internal;
const $TypeError = TypeError;
const kToken = Symbol("scheduled");

class ScheduledController {
  #cron;
  #scheduledTime;

  constructor(token, cron, scheduledTime) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#cron = cron;
    this.#scheduledTime = scheduledTime;
  }

  get cron() {
    return this.#cron;
  }

  get scheduledTime() {
    return this.#scheduledTime;
  }

  // atoll does not retry a failed event: nothing to turn off.
  noRetry() {
    this.#cron;
  }
}
exposeInterface(ScheduledController, "ScheduledController", false);

// The service-worker form: addEventListener("scheduled", (event) => event.waitUntil(...)).
class ScheduledEvent {
  #id;
  #cron;
  #scheduledTime;
  #waitUntil;

  constructor(token, id, cron, scheduledTime, waitUntil) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#id = id;
    this.#cron = cron;
    this.#scheduledTime = scheduledTime;
    this.#waitUntil = waitUntil;
  }

  get type() {
    this.#id;
    return "scheduled";
  }

  get cron() {
    return this.#cron;
  }

  get scheduledTime() {
    return this.#scheduledTime;
  }

  waitUntil(promise) {
    const id = this.#id;
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'waitUntil' on 'ScheduledEvent': 1 argument required, but only 0 present.");
    this.#waitUntil(id, promise);
  }

  noRetry() {
    this.#id;
  }
}
exposeInterface(ScheduledEvent, "ScheduledEvent", false);

// Reports scheduled event `id` once `result` and every waitUntil promise (`waits`) settled.
async function finish(host, id, waits, result, failed, error) {
  if (!failed) {
    try {
      await result;
    } catch (e) {
      failed = true;
      error = e;
    }
  }
  for (let i = 0; i < waits.length; i++) {
    try {
      await waits[i];
    } catch (e) {
      if (!failed) {
        failed = true;
        error = e;
      }
    }
  }
  host.done(id, failed, error);
}

// host: { handler (the module's default export, or null for a service worker), listeners (the
// "scheduled" entries, or undefined), newContext(id) (the handler's ctx), waitUntil(id, promise),
// waitsOf(id) (the array waitUntil fills), done(id, failed, error) (the answer),
// removeListener(callback, capture), reportError, call }.
function dispatchScheduled(host, id, cron, scheduledTime, env) {
  const waits = host.waitsOf(id);
  let result;
  let failed = false;
  let error;
  const call = host.call;
  if (host.handler !== null) {
    try {
      const target = host.handler;
      const scheduled = target.scheduled;
      if (typeof scheduled !== "function") throw new $TypeError("the default export has no scheduled() method");
      result = call(scheduled, target, new ScheduledController(kToken, cron, scheduledTime), env, host.newContext(id));
    } catch (e) {
      failed = true;
      error = e;
    }
  } else {
    const list = host.listeners;
    if (list === undefined || list.length === 0) {
      failed = true;
      error = new $TypeError("no 'scheduled' event listener is registered");
    } else {
      const event = new ScheduledEvent(kToken, id, cron, scheduledTime, host.waitUntil);
      const snapshot = [...list];
      for (let i = 0; i < snapshot.length; i++) {
        const entry = snapshot[i];
        if (entry.removed) continue;
        if (entry.once) host.removeListener(entry.callback, entry.capture);
        try {
          const callback = entry.callback;
          if (typeof callback === "function") {
            call(callback, globalThis, event);
          } else {
            call(callback.handleEvent, callback, event);
          }
        } catch (e) {
          if (!failed) {
            failed = true;
            error = e;
          } else {
            host.reportError(e);
          }
        }
      }
    }
  }
  finish(host, id, waits, result, failed, error);
}

export { ScheduledController, ScheduledEvent, dispatchScheduled };
