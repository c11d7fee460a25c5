// Workflows (https://developers.cloudflare.com/workflows/): env.NAME for a [tenants.workflows]
// binding is a Workflow of a class the tenant's own script exports (extending
// WorkflowEntrypoint from cloudflare:workers), with create/createBatch/get and instances that
// answer status/pause/resume/terminate/restart/sendEvent.
//
// Each instance is a Durable Object of an engine class (`WorkflowEngine`, named "0wf_" + the
// class: a name no tenant class can have, since a class name cannot start with a digit), so an
// instance has its own storage, its own alarm and one owner process, as the objects do
// (durable_objects.js). Its run() is replayed from the top in an alarm event each time it can
// go on: a step whose result is stored returns that result without running again, a sleep or a
// retry delay or an event not yet sent stores when to wake, sets the alarm and ends the event
// (the run is left suspended on a promise that never settles and is dropped). So every wake-up
// is an event of its own with the tenant's limits, nothing of a run waits in memory, and a
// restart of the server resumes every instance from its storage.
//
// Storage keys of an instance: "wf:meta" (status, params, output, error), "wf:step:KEY",
// "wf:sleep:KEY", "wf:event:KEY" (what each step decided), "wf:inbox" (events sent and not yet
// taken by a waitForEvent). KEY is the step's name and its occurrence in the run ("fetch#0").
const kToken = Symbol("workflows");

const $TypeError = TypeError;
const $RangeError = RangeError;
const $Error = Error;
const $String = String;
const $Number = Number;
const $Date = Date;
const $Promise = Promise;
const $Map = Map;
const DateNow = Date.now;
const MathMin = Math.min;
const MathMax = Math.max;
const NumberIsFinite = Number.isFinite;
const ArrayIsArray = Array.isArray;

const ID_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,99}$/;
const FINAL = ["complete", "errored", "terminated"];
const MAX_BATCH = 100;
const DEFAULT_STEP = { retries: { limit: 5, delay: 10000, backoff: "exponential" }, timeout: 10 * 60000 };
const DEFAULT_EVENT_TIMEOUT = 24 * 3600000;
// Replays in a row that neither finished nor suspended (their event was ended by a cpu_ms,
// memory_mb or wall_ms limit, or the process died): past this many the instance errors, so a
// run that cannot fit its limits is not replayed every few seconds for ever.
const MAX_UNFINISHED = 3;

// ---------------------------------------------------------------------------------------------
// Durations: milliseconds, or "N unit" as Workflows' WorkflowDuration ("10 seconds", "1 day").

const UNIT_MS = {
  millisecond: 1, second: 1000, minute: 60000, hour: 3600000, day: 86400000, week: 604800000,
  month: 2592000000, year: 31536000000,
};

export function durationMs(value, what) {
  if (typeof value === "number") {
    if (NumberIsFinite(value) && value >= 0) return value;
  } else if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/.exec(value);
    if (m !== null && UNIT_MS[m[2]] !== undefined) return $Number(m[1]) * UNIT_MS[m[2]];
  }
  throw new $TypeError(`${what}: expected a duration (milliseconds, or a string such as "10 seconds"), got ${$String(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Errors

class NonRetryableError extends $Error {
  constructor(message = undefined, name = "NonRetryableError") {
    super(message);
    this.name = name;
  }
}

function isNonRetryable(e) {
  return e instanceof NonRetryableError || (e !== null && typeof e === "object" && e.name === "NonRetryableError");
}

function errorData(e) {
  if (e !== null && typeof e === "object") return { name: $String(e.name ?? "Error"), message: $String(e.message ?? "") };
  return { name: "Error", message: $String(e) };
}

function rebuilt(data) {
  const e = new $Error(data.message);
  e.name = data.name;
  return e;
}

// ---------------------------------------------------------------------------------------------
// The binding and its instances (the caller's side)

class WorkflowInstance {
  #stub;
  constructor(token, stub, id) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#stub = stub;
    this.id = id;
  }
  async status() { return this.#stub.wfStatus(); }
  async pause() { await this.#stub.wfControl("pause"); }
  async resume() { await this.#stub.wfControl("resume"); }
  async terminate() { await this.#stub.wfControl("terminate"); }
  async restart() { await this.#stub.wfControl("restart"); }
  async sendEvent(event) {
    if (event === null || typeof event !== "object") throw new $TypeError("sendEvent: expected { type, payload }");
    const type = checkEventType(event.type, "sendEvent");
    await this.#stub.wfSendEvent(type, event.payload);
  }
}

function checkEventType(type, what) {
  if (typeof type !== "string" || type.length === 0 || type.length > 100) {
    throw new $TypeError(`${what}: the event type must be a string of 1 to 100 characters`);
  }
  return type;
}

function checkId(id) {
  if (typeof id !== "string" || !ID_RE.test(id)) {
    throw new $TypeError(`Workflow instance id ${JSON.stringify($String(id))} is invalid: 1 to 100 letters, digits, "_" or "-", not starting with "-"`);
  }
  return id;
}

class Workflow {
  #namespace;
  constructor(token, namespace) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#namespace = namespace;
  }
  #stub(id) { return this.#namespace.get(this.#namespace.idFromName(id)); }
  async create(options = undefined) {
    const id = checkId(options?.id ?? internal.require("crypto").crypto.randomUUID());
    const params = options?.params ?? {};
    const stub = this.#stub(id);
    await stub.wfCreate(id, params);
    return new WorkflowInstance(kToken, stub, id);
  }
  async createBatch(batch) {
    if (!ArrayIsArray(batch) || batch.length === 0 || batch.length > MAX_BATCH) {
      throw new $TypeError(`createBatch: expected an array of 1 to ${MAX_BATCH} instance options`);
    }
    const out = [];
    for (const options of batch) out.push(await this.create(options));
    return out;
  }
  async get(id) {
    checkId(id);
    const stub = this.#stub(id);
    if (!(await stub.wfExists())) throw new $Error(`instance.not_found: no Workflow instance "${id}"`);
    return new WorkflowInstance(kToken, stub, id);
  }
}

export function newWorkflow(className) {
  const objects = internal.require("durable_objects");
  return new Workflow(kToken, objects.newNamespace(objects.engineClassName("workflows", className)));
}

// ---------------------------------------------------------------------------------------------
// One replay of run(): the step API and when it suspends

const NEVER = new $Promise(() => {});

class Replay {
  constructor(storage) {
    this.storage = storage;
    this.counts = new $Map();  // step name -> occurrences so far in this replay
    this.inflight = 0;         // step.do callbacks running
    this.wakeAt = [];          // wake-up times of the steps waiting
    this.stopped = false;      // suspended, paused, terminated or restarted: no more effects
    this.suspend = null;       // settles the race in WorkflowEngine's #replayRun
    this.suspended = new $Promise((resolve) => { this.suspend = resolve; });
    this.checkQueued = false;
  }
  // The storage key of the next step of this name ("name#0", "name#1", ...) and its count in the
  // run (1, 2, ...: the step context's step.count).
  key(name) {
    if (typeof name !== "string" || name.length === 0 || name.length > 256) {
      throw new $TypeError("a step's name must be a string of 1 to 256 characters");
    }
    const n = this.counts.get(name) ?? 0;
    this.counts.set(name, n + 1);
    return { key: `${name}#${n}`, count: n + 1 };
  }
  // A step that cannot go on before `at` (ms; Infinity: only an event wakes it).
  wait(at) {
    this.wakeAt.push(at);
    this.maybeSuspend();
    return NEVER;
  }
  // Suspends once nothing runs: after the microtasks of the step.do callbacks that settled.
  maybeSuspend() {
    if (this.checkQueued || this.stopped) return;
    this.checkQueued = true;
    internal.setTimeout(() => {
      this.checkQueued = false;
      if (this.stopped || this.wakeAt.length === 0 || this.inflight > 0) return;
      this.stop({ wakeAt: MathMin(...this.wakeAt) });
    }, 0);
  }
  stop(outcome) {
    if (this.stopped) return;
    this.stopped = true;
    this.suspend(outcome);
  }
}

class WorkflowStep {
  #replay;
  constructor(token, replay) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#replay = replay;
  }

  async do(name, config, callback = undefined) {
    const replay = this.#replay;
    if (callback === undefined) {
      callback = config;
      config = undefined;
    }
    if (typeof callback !== "function") throw new $TypeError("step.do: expected a callback");
    const { key: stepKey, count } = replay.key(name);
    const key = `wf:step:${stepKey}`;
    const retries = { ...DEFAULT_STEP.retries, ...(config?.retries ?? {}) };
    const limit = $Number(retries.limit);
    if (!NumberIsFinite(limit) || limit < 0) throw new $RangeError("step.do: retries.limit must be a number >= 0");
    const delay = durationMs(retries.delay, "step.do: retries.delay");
    const timeout = durationMs(config?.timeout ?? DEFAULT_STEP.timeout, "step.do: timeout");
    if (replay.stopped) return NEVER;
    const record = (await replay.storage.get(key)) ?? { attempts: 0 };
    if (replay.stopped) return NEVER;
    if (record.done) return record.value;
    if (record.failed) throw rebuilt(record.error);
    if (record.retryAt > DateNow()) return replay.wait(record.retryAt);
    // https://developers.cloudflare.com/workflows/build/step-context/: the callback's argument.
    const context = {
      step: { name, count },
      attempt: record.attempts + 1,
      config: { retries: { limit, delay: retries.delay, backoff: retries.backoff }, timeout: config?.timeout ?? "10 minutes" },
    };
    replay.inflight++;
    let value, error, failed = false;
    try {
      value = await withTimeout(() => callback(context), timeout, name);
    } catch (e) {
      failed = true;
      error = e;
    } finally {
      replay.inflight--;
    }
    if (replay.stopped) return NEVER;
    const attempts = record.attempts + 1;
    if (!failed) {
      try {
        await replay.storage.put(key, { done: true, value, attempts });
        return value;
      } catch (e) {
        failed = true;  // a result that cannot be stored (not cloneable, too large) fails the step
        error = new NonRetryableError(`step "${name}": its result cannot be stored: ${e.message}`, "TypeError");
      }
    }
    if (isNonRetryable(error) || attempts > limit) {
      await replay.storage.put(key, { failed: true, error: errorData(error), attempts });
      replay.maybeSuspend();
      throw error;
    }
    const wait = backoff(retries.backoff, delay, attempts);
    const retryAt = DateNow() + wait;
    await replay.storage.put(key, { attempts, retryAt, error: errorData(error) });
    return replay.wait(retryAt);
  }

  async sleep(name, duration) {
    const ms = durationMs(duration, "step.sleep");
    return this.#sleep(name, () => DateNow() + ms);
  }

  async sleepUntil(name, timestamp) {
    const at = timestamp instanceof $Date ? timestamp.getTime() : $Number(timestamp);
    if (!NumberIsFinite(at)) throw new $TypeError("step.sleepUntil: expected a Date or a time in milliseconds");
    return this.#sleep(name, () => at);
  }

  async #sleep(name, wakeAt) {
    const replay = this.#replay;
    const key = `wf:sleep:${replay.key(name).key}`;
    if (replay.stopped) return NEVER;
    let at = await replay.storage.get(key);
    if (replay.stopped) return NEVER;  // after each await: a pause or restart may have come meanwhile
    if (at === undefined) {
      at = wakeAt();
      await replay.storage.put(key, at);
    }
    if (DateNow() >= at) return undefined;
    return replay.wait(at);
  }

  async waitForEvent(name, options) {
    const replay = this.#replay;
    const type = checkEventType(options?.type, "step.waitForEvent");
    const timeout = durationMs(options?.timeout ?? DEFAULT_EVENT_TIMEOUT, "step.waitForEvent: timeout");
    const key = `wf:event:${replay.key(name).key}`;
    if (replay.stopped) return NEVER;
    let record = await replay.storage.get(key);
    if (replay.stopped) return NEVER;
    if (record === undefined) {
      record = { deadline: DateNow() + timeout };
      await replay.storage.put(key, record);
    }
    if (record.event !== undefined) return eventOf(record.event);
    if (record.timedOut) throw timedOut(name);
    // The inbox is read and written with no await between (sendEvent appends the same way), so
    // that an event sent meanwhile is not lost.
    const inbox = replay.storage.getSync("wf:inbox") ?? [];
    const index = inbox.findIndex((event) => event.type === type);
    if (index >= 0) {
      const [event] = inbox.splice(index, 1);
      replay.storage.putSync({ "wf:inbox": inbox, [key]: { event } });
      return eventOf(event);
    }
    if (DateNow() >= record.deadline) {
      await replay.storage.put(key, { timedOut: true });
      throw timedOut(name);
    }
    return replay.wait(record.deadline);
  }
}

function eventOf(event) {
  return { type: event.type, payload: event.payload, timestamp: new $Date(event.timestamp) };
}

function timedOut(name) {
  const e = new $Error(`step.waitForEvent "${name}": no event arrived before its timeout`);
  e.name = "WorkflowTimeoutError";
  return e;
}

function backoff(kind, delay, attempts) {
  if (kind === "constant") return delay;
  if (kind === "linear") return delay * attempts;
  return delay * 2 ** (attempts - 1);
}

function withTimeout(callback, ms, name) {
  return new $Promise((resolve, reject) => {
    const timer = internal.setTimeout(() => {
      const e = new $Error(`step "${name}" timed out after ${ms} ms`);
      e.name = "WorkflowTimeoutError";
      reject(e);
    }, ms);
    $Promise.resolve().then(callback).then(resolve, reject).finally(() => internal.clearTimeout(timer));
  });
}

// ---------------------------------------------------------------------------------------------
// The engine: one Durable Object per instance (the callee's side)

function engineFor(className) {
  return class WorkflowEngine {
    #storage;
    #env;
    #replay = null;            // the replay in progress, if any
    #poked = false;            // an event or a resume arrived during the replay: go on at once
    #queue = $Promise.resolve();
    constructor(state, env) {
      this.#storage = state.storage;
      this.#env = env;
    }

    // The instance's state changes one at a time (a replay's own steps are not serialized, only
    // its start and its end), so that a pause never crosses a replay's last write.
    #serial(fn) {
      const run = this.#queue.then(fn);
      this.#queue = run.then(() => {}, () => {});
      return run;
    }

    wfExists() { return this.#serial(async () => (await this.#storage.get("wf:meta")) !== undefined); }

    wfCreate(id, params) {
      return this.#serial(async () => {
        if ((await this.#storage.get("wf:meta")) !== undefined) throw new $Error(`instance.already_exists: a Workflow instance "${id}" exists`);
        await this.#storage.put("wf:meta", { id, status: "queued", params, createdAt: DateNow() });
        await this.#storage.setAlarm(DateNow());
      });
    }

    wfStatus() {
      return this.#serial(async () => {
        const meta = await this.#meta();
        const out = { status: meta.status };
        if (meta.error !== undefined) out.error = meta.error;
        if (meta.output !== undefined) out.output = meta.output;
        return out;
      });
    }

    wfControl(action) { return this.#serial(() => this.#control(action)); }

    async #control(action) {
      const meta = await this.#meta();
      if (action === "restart") {
        this.#stopReplay();
        const keys = [...(await this.#storage.list({ prefix: "wf:" })).keys()].filter((k) => k !== "wf:meta");
        if (keys.length > 0) await this.#storage.delete(keys);
        await this.#storage.put("wf:meta", { id: meta.id, status: "queued", params: meta.params, createdAt: DateNow() });
        await this.#storage.setAlarm(DateNow());
        return;
      }
      if (FINAL.includes(meta.status)) throw new $Error(`instance.not_running: the instance is ${meta.status}`);
      if (action === "pause") {
        if (meta.status === "paused") return;
        this.#stopReplay();
        await this.#storage.put("wf:meta", { ...meta, status: "paused", unfinished: 0 });
        await this.#storage.deleteAlarm();
      } else if (action === "resume") {
        if (meta.status !== "paused") return;
        await this.#storage.put("wf:meta", { ...meta, status: "queued", unfinished: 0 });
        await this.#storage.setAlarm(DateNow());
      } else if (action === "terminate") {
        this.#stopReplay();
        await this.#storage.put("wf:meta", { ...meta, status: "terminated", unfinished: 0 });
        await this.#storage.deleteAlarm();
      } else {
        throw new $TypeError(`unknown action ${action}`);
      }
    }

    wfSendEvent(type, payload) {
      return this.#serial(async () => {
        const meta = await this.#meta();
        if (FINAL.includes(meta.status)) throw new $Error(`instance.not_running: the instance is ${meta.status}`);
        const inbox = this.#storage.getSync("wf:inbox") ?? [];  // no await between (waitForEvent)
        inbox.push({ type, payload, timestamp: DateNow() });
        this.#storage.putSync("wf:inbox", inbox);
        if (this.#replay !== null) this.#poked = true;
        else if (meta.status === "waiting") await this.#storage.setAlarm(DateNow());
      });
    }

    async #meta() {
      const meta = await this.#storage.get("wf:meta");
      if (meta === undefined) throw new $Error("instance.not_found: no such Workflow instance");
      return meta;
    }

    #stopReplay() {
      if (this.#replay !== null) this.#replay.stop({ stopped: true });
      this.#replay = null;
    }

    // The alarm: replay run() as far as it goes. Never throws (an alarm that throws is retried).
    async alarm() {
      try {
        const started = await this.#serial(() => this.#begin());
        if (started === null) return;
        const outcome = await this.#replayRun(started.meta, started.replay);
        await this.#serial(() => this.#end(outcome));
      } catch (e) {
        internal.reportError(e);
      }
    }

    // The instance's state as "running" and a new replay ({meta, replay}); null when there is
    // nothing to run.
    async #begin() {
      const meta = await this.#storage.get("wf:meta");
      if (meta === undefined || !["queued", "running", "waiting"].includes(meta.status)) return null;
      // A replay still here outlived its event (the server gave up on it): dropped, and counted.
      this.#stopReplay();
      const unfinished = meta.unfinished ?? 0;
      if (unfinished >= MAX_UNFINISHED) {
        const error = { name: "Error", message: `the run was stopped ${unfinished} times in a row before it finished or waited (a cpu_ms, memory_mb or wall_ms limit)` };
        await this.#storage.put("wf:meta", { ...meta, status: "errored", error, unfinished: 0 });
        await this.#storage.deleteAlarm();
        return null;
      }
      await this.#storage.put("wf:meta", { ...meta, status: "running", unfinished: unfinished + 1 });
      // The alarm stays set while the replay runs (the server fires no second event for an
      // object while one is in flight), so that a replay whose event the server gave up on is
      // taken up again; #end sets it to what the replay came to. Another time than the firing
      // one's, or the alarm event would clear it once this handler returns.
      const firing = await this.#storage.getAlarm();
      await this.#storage.setAlarm(MathMax(DateNow(), (firing ?? 0) + 1));
      const replay = new Replay(this.#storage);
      this.#replay = replay;
      this.#poked = false;
      return { meta, replay };
    }

    // run() until it returns, throws or suspends: {output}, {error}, {wakeAt} or {stopped}.
    async #replayRun(meta, replay) {
      try {
        const Class = internal.tenantExport(className);
        if (typeof Class !== "function" || typeof Class.prototype.run !== "function") {
          throw new $TypeError(`the script exports no Workflow class named "${className}" (a class extending WorkflowEntrypoint with a run() method)`);
        }
        const ctx = { waitUntil(promise) {}, passThroughOnException() {} };
        const instance = new Class(ctx, this.#env);
        const event = { payload: meta.params, timestamp: new $Date(meta.createdAt), instanceId: meta.id };
        const ran = $Promise.resolve().then(() => instance.run(event, new WorkflowStep(kToken, replay)));
        return await $Promise.race([ran.then((output) => ({ output }), (error) => ({ error })), replay.suspended]);
      } catch (error) {
        return { error };
      } finally {
        replay.stopped = true;
        if (this.#replay === replay) this.#replay = null;
      }
    }

    // What the replay came to, unless a pause, terminate or restart took the instance meanwhile.
    async #end(outcome) {
      const stored = await this.#storage.get("wf:meta");
      if (outcome.stopped || stored?.status !== "running") return;
      const meta = { ...stored, unfinished: 0 };
      if ("wakeAt" in outcome) {
        await this.#storage.put("wf:meta", { ...meta, status: "waiting" });
        await this.#storage.setAlarm(this.#poked ? DateNow() : MathMax(outcome.wakeAt, DateNow()));
        return;
      }
      await this.#storage.deleteAlarm();
      if ("error" in outcome) {
        await this.#storage.put("wf:meta", { ...meta, status: "errored", error: errorData(outcome.error) });
        return;
      }
      try {
        await this.#storage.put("wf:meta", { ...meta, status: "complete", output: outcome.output });
      } catch (e) {
        await this.#storage.put("wf:meta", { ...meta, status: "errored", error: errorData(e) });
      }
    }
  };
}

// durable_objects.js's class for the engine of the Workflow class `className`.
const engines = new $Map();
export function engineClass(className) {
  let Class = engines.get(className);
  if (Class === undefined) {
    Class = engineFor(className);
    engines.set(className, Class);
  }
  return Class;
}

export { NonRetryableError, Workflow, WorkflowInstance, WorkflowStep };
