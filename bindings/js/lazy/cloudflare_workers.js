// cloudflare:workers (https://developers.cloudflare.com/workers/runtime-apis/context/ and
// .../bindings/#importing-env-as-a-global): `env`, the context's env object (the one handlers
// get), `waitUntil` (the running request's ctx.waitUntil), and the base classes of class-based
// entrypoints. A default export that is a class (one extending WorkerEntrypoint) is instantiated
// per event as new Class(ctx, env), as Workers does, and its fetch(request) /
// scheduled(controller) called: 90_dispatch.js serves entrypointOf(Class).
// DurableObject is the base class of Durable Objects (js/lazy/durable_objects.js makes them),
// WorkflowEntrypoint of Workflows (js/lazy/workflows.js); RpcTarget is a base class only.

// internal.workersEnv: the context's env, put there by BuiltinModules::InstallGlobals.
const env = internal.workersEnv;

class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

// The base class of a Workflow's class (js/lazy/workflows.js runs its run(event, step)).
class WorkflowEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class RpcTarget {}

// The handler object 90_dispatch.js calls as it calls `export default { fetch, scheduled }`.
// Kept here, not in the snapshot, so that tenants without a class pay nothing for it.
function entrypointOf(Class) {
  const proto = Class.prototype;
  const target = {};
  if (typeof proto.fetch === "function") target.fetch = (request, env, ctx) => new Class(ctx, env).fetch(request);
  if (typeof proto.scheduled === "function") {
    target.scheduled = (controller, env, ctx) => new Class(ctx, env).scheduled(controller);
  }
  return target;
}

// Whether `Class` extends WorkerEntrypoint: such a default export needs no fetch() (RPC only).
function isWorkerEntrypoint(Class) {
  for (let proto = ObjectGetPrototypeOf(Class.prototype); proto !== null; proto = ObjectGetPrototypeOf(proto)) {
    if (proto === WorkerEntrypoint.prototype) return true;
  }
  return false;
}

// An RPC call of a service binding (js/lazy/fetch.js serviceBinding; 90_dispatch.js): `body` the
// serialized [method, args]; the method of a new Class(ctx, env) is called, and the answer is a
// 200 whose body is the serialized outcome ({ok, value} or {ok: false, error}). Only methods of
// the class (its prototype chain below Object.prototype) can be called, not `constructor`,
// `fetch` (env.NAME.fetch() is a request) or the lifecycle handlers.
const NOT_CALLABLE = ["constructor", "fetch", "scheduled", "alarm", "webSocketMessage", "webSocketClose", "webSocketError"];
const ObjectPrototype = Object.prototype;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectHasOwn = (object, key) => Reflect.getOwnPropertyDescriptor(object, key) !== undefined;

function ownedMethod(instance, method) {
  if (NOT_CALLABLE.includes(method) || method.startsWith("#")) return undefined;
  for (let proto = ObjectGetPrototypeOf(instance); proto !== null && proto !== ObjectPrototype; proto = ObjectGetPrototypeOf(proto)) {
    if (ObjectHasOwn(proto, method)) return typeof proto[method] === "function" ? proto[method] : undefined;
  }
  return ObjectHasOwn(instance, method) && typeof instance[method] === "function" ? instance[method] : undefined;
}

function errorData(error) {
  if (error !== null && typeof error === "object") return { name: `${error.name}`, message: `${error.message}` };
  return error;
}

// Whether `Class` is an entrypoint class; else the TypeError to throw, naming `what` was called.
function notEntrypoint(Class, entrypoint, what) {
  if (typeof Class === "function" && (Class.prototype instanceof WorkerEntrypoint || Class === WorkerEntrypoint)) return null;
  const receiver = entrypoint === undefined ? "its default export" : `its export "${entrypoint}"`;
  return new TypeError(`The RPC receiver does not implement ${what}: ${receiver} is not a class extending WorkerEntrypoint (cloudflare:workers)`);
}

async function serveRpc(Class, body, env, ctx, entrypoint) {
  let outcome;
  try {
    const [method, args] = native.doDeserialize(body);
    const refused = notEntrypoint(Class, entrypoint, `the method "${method}"`);
    if (refused !== null) throw refused;
    const instance = new Class(ctx, env);
    const fn = ownedMethod(instance, `${method}`);
    if (fn === undefined) throw new TypeError(`The RPC receiver does not implement the method "${method}".`);
    outcome = { ok: true, value: await fn.apply(instance, args) };
  } catch (error) {
    outcome = { ok: false, error: errorData(error) };
  }
  let bytes;
  try {
    bytes = native.doSerialize(outcome);
  } catch (error) {
    bytes = native.doSerialize({ ok: false, error: { name: "DataCloneError", message: `The RPC method's result cannot be sent: ${error.message}` } });
  }
  return new internal.Response(bytes, { headers: { "content-type": "application/octet-stream" } });
}

// A request through a binding to a named entrypoint: its class's fetch(request).
async function serveFetch(Class, request, env, ctx, entrypoint) {
  const refused = notEntrypoint(Class, entrypoint, "fetch()");
  if (refused !== null) throw refused;
  const instance = new Class(ctx, env);
  if (typeof instance.fetch !== "function") throw new TypeError(`The entrypoint "${entrypoint}" has no fetch() method`);
  return instance.fetch(request);
}

// 90_dispatch.js's entry: an RPC call (`input` its serialized body) or a request (`input`).
function serve(rpc, input, env, ctx, Class, entrypoint) {
  return rpc ? serveRpc(Class, input, env, ctx, entrypoint) : serveFetch(Class, input, env, ctx, entrypoint);
}

// https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil: ctx.waitUntil of the
// request or event being handled, for code that has no ctx (a library's background work).
function waitUntil(promise) {
  if (arguments.length < 1) throw new TypeError("waitUntil: 1 argument required, but only 0 present.");
  internal.waitUntilOfRunning(promise);
}

module.exports = { env, waitUntil, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget };
// Not enumerable: not named exports of the module, the glue's (90_dispatch.js).
Object.defineProperty(module.exports, "entrypointOf", { value: entrypointOf });
Object.defineProperty(module.exports, "isWorkerEntrypoint", { value: isWorkerEntrypoint });
Object.defineProperty(module.exports, "serve", { value: serve });
