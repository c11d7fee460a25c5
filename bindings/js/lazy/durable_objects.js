// Durable Objects (https://developers.cloudflare.com/durable-objects/): env.NAME for a
// [tenants.durable_objects] binding is a DurableObjectNamespace of a class the tenant's own script
// exports. Objects live in the tenant's (shared) context, one instance per id, in the one worker
// process kv::ObjectPlacement names (the natives: bindings/durable_objects.h). A call for an
// object another process owns is forwarded to it over loopback (native fetch with the "@do:N"
// service, server/durable_objects_service.h) and arrives there through the hook
// given to internal.setDoHook (90_dispatch.js). In cluster mode every object also has one owner
// node (server/cluster_objects.h): a call first finds it (native.doWhere, else doResolve), then
// runs here, goes to this node's owning process, or to the owner node ("@do-node:NAME").
// Events to one object are serialized as Workers does: storage calls are synchronous SQLite
// statements, so nothing else runs while one is in flight (input gate) and a write is committed
// before its promise resolves (output gate); blockConcurrencyWhile() and transaction() hold
// every other event of the object until they settle. Idle objects are evicted after
// [server] do_idle_ms and re-created (storage kept) on their next event.
// Cluster mode with PostgreSQL (native.doShared(), bindings/do_shared_storage.h): an object is
// activated once its storage is restored from shared storage (entry.ready), and the output gate
// waits for PostgreSQL: an event's result and a write's promise are released once every write
// made so far is durable there (durable()); a refused or failed commit rejects them and evicts
// the object, whose next event restores it again.
import { alarmOf, exec, kToken } from "./durable_objects/storage_rows.js";
import { DurableObjectStorage } from "./durable_objects/storage.js";

const $TypeError = TypeError;
const $Error = Error;
const $String = String;
const $Promise = Promise;
const $Map = Map;
const $Proxy = Proxy;
const $Uint8Array = Uint8Array;
const DateNow = Date.now;
const MathMin = Math.min;
const { headersGet, headersToFlat } = internal;
const ID_RE = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------------
// Ids, namespaces, stubs

class DurableObjectId {
  #hex;
  #name;
  constructor(token, hex, name) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#hex = hex;
    this.#name = name;
  }
  toString() { return this.#hex; }
  equals(other) { return other instanceof DurableObjectId && other.#hex === this.#hex; }
  get name() { return this.#name; }
}

function hexOf(id) {
  if (!(id instanceof DurableObjectId)) throw new $TypeError("expected a DurableObjectId");
  return id.toString();
}

class DurableObjectNamespace {
  #className;
  constructor(token, className) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#className = className;
  }
  idFromName(name) {
    name = $String(name);
    return new DurableObjectId(kToken, native.doIdFromName(this.#className, name), name);
  }
  newUniqueId(options = undefined) { return new DurableObjectId(kToken, native.doNewUniqueId(), undefined); }
  idFromString(text) {
    text = $String(text);
    if (!ID_RE.test(text)) throw new $TypeError("Invalid Durable Object ID: must be 64 hex digits");
    return new DurableObjectId(kToken, text, undefined);
  }
  get(id, options = undefined) { return makeStub(this.#className, hexOf(id), id); }
  getByName(name, options = undefined) { return this.get(this.idFromName(name)); }
  jurisdiction(name) { return this; }
}

export function newNamespace(className) {
  return new DurableObjectNamespace(kToken, className);
}

function clone(value) {
  return native.doDeserialize(native.doSerialize(value));
}

// A stub: fetch() and any other property is an RPC method (`then` is not, so it is not a thenable).
function makeStub(className, hex, id) {
  const target = {
    id,
    name: id.name,
    fetch(input, init = undefined) { return stubFetch(className, hex, input, init); },
  };
  return new $Proxy(target, {
    get(t, prop) {
      if (prop in t) return t[prop];
      if (typeof prop !== "string" || prop === "then") return undefined;
      return (...args) => stubCall(className, hex, prop, args);
    },
  });
}

function stubFetch(className, hex, input, init) {
  let request;
  try {
    request = new internal.Request(input, init);
  } catch (e) {
    return $Promise.reject(e);
  }
  const run = () => runEvent(className, hex, (entry) => {
    if (typeof entry.instance.fetch !== "function") throw new $TypeError(`${className} has no fetch() method`);
    return pinSocket(entry, entry.instance.fetch(request));
  });
  if (clustered()) return viaOwner(className, hex, run, (node) => forward(className, hex, "fetch", request, undefined, node));
  if (!native.doIsLocal(hex)) return forward(className, hex, "fetch", request);
  return run();
}

// ---------------------------------------------------------------------------------------------
// Cluster mode: every object has one owner node (server/cluster_objects.h), found in this
// process's cache (native.doWhere) or resolved (and claimed when nobody owns it) through etcd.

let isClustered;
function clustered() {
  if (isClustered === undefined) isClustered = native.doClustered();
  return isClustered;
}

// true (this node owns the object), or the owner node's name; rejects when it cannot be placed.
function ownerOf(className, hex) {
  const known = native.doWhere(className, hex);
  if (known !== undefined) return known;
  return new $Promise((resolve, reject) => {
    const now = native.doResolve(className, hex, (ok, value) => {
      if (ok && value !== undefined) resolve(value);
      else reject(notOwned(ok ? "the object's owner is not known" : value));
    });
    if (now !== undefined) resolve(now);
  });
}

function notOwned(message) {
  const e = new $Error(`Durable Object unavailable: ${message}`);
  e.status = 503;
  return e;
}

// `run()` here (this process runs the object), or forwarded: to the process of this node that
// runs it, or to the owner node (`remote(node)`).
async function viaOwner(className, hex, run, remote) {
  const owner = await ownerOf(className, hex);
  if (owner !== true) return remote(owner);
  if (!native.doIsLocal(hex)) return remote(undefined);
  return run();
}

// A socket the object accept()ed (not ctx.acceptWebSocket) keeps it in memory while it is open,
// as Workers does: its listeners are the instance's.
async function pinSocket(entry, pending) {
  const response = await pending;
  const server = response?.webSocket ? internal.require("websocket").hibernation.plainServerOf(response.webSocket) : null;
  if (server !== null) {
    entry.pinned++;
    server.addEventListener("close", () => { entry.pinned--; entry.lastUsed = DateNow(); }, { once: true });
  }
  return response;
}

function stubCall(className, hex, method, args) {
  let cloned;
  try {
    cloned = clone(args);
  } catch (e) {
    return $Promise.reject(e);
  }
  const run = () => runEvent(className, hex, (entry) => callMethod(entry, className, method, cloned)).then(clone);
  if (clustered()) return viaOwner(className, hex, run, (node) => forwardCall(className, hex, method, cloned, node));
  if (!native.doIsLocal(hex)) return forwardCall(className, hex, method, cloned);
  return run();
}

// A call from the platform's own code (d1.js) to its engine object: as a stub's, but when this
// process runs the object the arguments and the result are not cloned (the caller made them and
// hands them over; the engine's answers are fresh objects).
export function platformCall(className, hex, method, args) {
  if (clustered() || !native.doIsLocal(hex)) return stubCall(className, hex, method, args);
  return runEvent(className, hex, (entry) => callMethod(entry, className, method, args));
}

function callMethod(entry, className, method, args) {
  const fn = method === "constructor" || method === "alarm" ? undefined : entry.instance[method];
  if (typeof fn !== "function") throw new $TypeError(`The RPC receiver does not implement the method "${method}".`);
  return fn.apply(entry.instance, args);
}

// To the owning process: `kind` fetch (the request as it is) or rpc (a serialized call); with
// `node`, to that node (cluster mode), which gives it to its process that runs the object.
function forward(className, hex, kind, request, body = undefined, node = undefined) {
  const headers = kind === "fetch" ? headersToFlat(request.headers) : [];
  const out = [];
  // A client's own x-atoll-do* headers never reach the owner (only the ones added here do).
  for (let i = 0; i < headers.length; i += 2) {
    if (!headers[i].startsWith("x-atoll-do")) out.push([headers[i], headers[i + 1]]);
  }
  out.push(["x-atoll-do", `${kind} ${className} ${hex}`]);
  if (kind === "fetch") {
    out.push(["x-atoll-do-url", request.url]);
    out.push(["x-atoll-do-method", request.method]);
  }
  const hasBody = kind === "rpc" || (request.method !== "GET" && request.method !== "HEAD");
  // A call without a body goes as a GET, so that a WebSocket upgrade stays one (the owner answers
  // 101 and the socket is relayed here: js/lazy/websocket.js).
  const init = { method: hasBody ? "POST" : "GET", headers: out, body: kind === "rpc" ? body : (hasBody ? request.body : null) };
  const service = node === undefined ? `@do:${native.doOwner(hex)}` : `@do-node:${node}`;
  return internal.require("fetch").durableObjectFetch("http://durable-object.internal/", init, service);
}

async function forwardCall(className, hex, method, args, node = undefined) {
  const response = await forward(className, hex, "rpc", null, new $Uint8Array(native.doSerialize([method, args])), node);
  const bytes = await response.arrayBuffer();
  if (response.status !== 200) {
    const e = new $Error(`Durable Object call failed: ${response.status}`);
    e.status = response.status;
    throw e;
  }
  const result = native.doDeserialize(bytes);
  if (result.ok) return result.value;
  throw internal.require("fetch").rebuildError(result.error);
}

// ---------------------------------------------------------------------------------------------
// The objects of this context

const objects = new $Map(); // className + " " + hex -> Entry
let lastSweep = 0;

class Entry {
  constructor(className, hex) {
    this.className = className;
    this.hex = hex;
    this.handle = 0;
    this.instance = null;
    this.blocked = null; // a promise while blockConcurrencyWhile / transaction holds the object
    this.active = 0;
    this.lastUsed = DateNow();
    this.alarmRetries = 0;
    this.alarmWrites = 0; // setAlarm/deleteAlarm calls so far (an alarm event keeps what its handler set)
    this.pinned = 0; // open sockets accepted with ws.accept() (pinSocket)
    this.shared = false; // storage journaled to shared storage (cluster mode)
    this.ready = null; // a promise while the storage is restored and the instance made (shared)
    this.txns = 0; // transaction() calls in progress
    this.txnRun = null; // the outermost one's promise, settled after its RELEASE
    this.token = 0; // cluster mode: the fencing token the instance was made under
  }
}

// Evicts objects idle for do_idle_ms (checked at most every half of it): their storage stays.
function sweep() {
  const now = DateNow();
  const idle = native.doIdleMs();
  if (now - lastSweep < MathMin(1000, idle / 2)) return;
  lastSweep = now;
  for (const [key, entry] of objects) {
    if (entry.active === 0 && entry.blocked === null && entry.pinned === 0 && entry.ready === null &&
        now - entry.lastUsed >= idle) {
      evict(key, entry);
    }
  }
}

function evict(key, entry) {
  if (objects.get(key) === entry) objects.delete(key);
  if (entry.handle === 0) return;  // closed already
  native.doClose(entry.handle);
  entry.handle = 0;
}

// The platform's own objects: a class name starting with a digit (no tenant class has one) is
// an engine class of a lazy module, by prefix: each instance of a Workflow, each D1 database,
// each queue, each R2 bucket.
// This table is the one place the prefixes are written: a module names its classes through
// engineClassName and makes them in its engineClass(name), given the name after the prefix.
const ENGINE_MODULES = [["0wf_", "workflows"], ["0d1_", "d1"], ["0q_", "queues"], ["0r2_", "r2"]];

export function engineClassName(module, name) {
  for (const [prefix, owner] of ENGINE_MODULES) {
    if (owner === module) return prefix + name;
  }
  throw new $TypeError(`no engine prefix for module ${module}`);
}

function engineClass(className) {
  for (const [prefix, module] of ENGINE_MODULES) {
    if (className.startsWith(prefix)) return internal.require(module).engineClass(className.slice(prefix.length));
  }
  return undefined;
}

function objectOf(className, hex) {
  sweep();
  const key = `${className} ${hex}`;
  let entry = objects.get(key);
  if (!clustered()) {
    if (entry !== undefined) return entry;
  } else {
    // Cluster mode: an instance lives under one fencing token. A node that lost the object (its
    // lease lapsed) runs nothing more of it; one that owns it again (a new claim, a higher token)
    // starts from a new instance, never from what an older one kept in memory.
    const token = native.doFence(className, hex);
    if (entry !== undefined && entry.token === token) return entry;
    if (entry !== undefined) evict(key, entry);
    if (token === 0) throw notOwned("this node does not own the object now");
    entry = undefined;
  }
  const first = className.charCodeAt(0);
  const Class = first >= 0x30 && first <= 0x39 ? engineClass(className) : internal.tenantExport(className);
  if (typeof Class !== "function") {
    throw new $TypeError(`the script exports no Durable Object class named "${className}"`);
  }
  entry = new Entry(className, hex);
  if (clustered()) entry.token = native.doFence(className, hex);
  entry.handle = native.doOpen(className, hex);
  objects.set(key, entry);
  if (native.doShared()) {
    entry.shared = true;
    entry.ready = activate(key, entry, Class);
    entry.ready.catch(() => {});
    return entry;
  }
  construct(key, entry, Class);
  return entry;
}

// The object's instance, made once its storage is there.
function construct(key, entry, Class) {
  const id = new DurableObjectId(kToken, entry.hex, undefined);
  const state = new DurableObjectState(kToken, entry, id);
  try {
    entry.instance = new Class(state, internal.workersEnv);
  } catch (e) {
    evict(key, entry);
    throw e;
  }
}

// Shared storage: a native's answer now (null) or later (a promise). `call(callback)` returns
// true when answered at once and throws a failure at once.
function nativeAnswer(call) {
  const box = { resolve: undefined, reject: undefined };
  const result = call((ok, error) => (ok ? box.resolve() : box.reject(error)));
  if (result === true) return null;
  return new $Promise((resolve, reject) => {
    box.resolve = resolve;
    box.reject = reject;
  });
}

async function activate(key, entry, Class) {
  try {
    const restored = nativeAnswer((callback) => native.doReady(entry.handle, callback));
    if (restored !== null) await restored;
  } catch (e) {
    evict(key, entry);
    throw e;
  }
  construct(key, entry, Class);
  entry.ready = null;
}

// Shared storage's output gate: undefined when every write so far is durable, else a promise
// settled once it is. A failed commit evicts the object (its next event restores it) and rejects.
function durable(entry) {
  if (entry.txns > 0) return entry.txnRun.then(() => durable(entry), () => durable(entry));
  const lost = (e) => {
    evict(`${entry.className} ${entry.hex}`, entry);
    throw e;
  };
  let pending;
  try {
    pending = nativeAnswer((callback) => native.doSync(entry.handle, callback));
  } catch (e) {
    lost(e);
  }
  return pending === null ? undefined : pending.then(undefined, lost);
}

// A write's promise: as it is on a single node; with shared storage, settled once durable
// (inside a transaction(), once the transaction is).
function written(entry, promise) {
  if (!entry.shared || entry.txns > 0) return promise;
  return promise.then((value) => {
    const pending = durable(entry);
    return pending === undefined ? value : pending.then(() => value);
  });
}

// Runs `fn(entry)` as one event of the object, once nothing holds it.
async function runEvent(className, hex, fn) {
  const entry = objectOf(className, hex);
  if (entry.ready !== null) await entry.ready;
  while (entry.blocked !== null) await entry.blocked;
  entry.active++;
  entry.lastUsed = DateNow();
  try {
    const result = await fn(entry);
    if (entry.shared) await durable(entry);
    return result;
  } finally {
    entry.active--;
    entry.lastUsed = DateNow();
  }
}

function hold(entry, promise) {
  const blocked = promise.then(() => {}, () => {});
  entry.blocked = blocked;
  blocked.then(() => {
    if (entry.blocked === blocked) entry.blocked = null;
  });
}

// The gates the object's storage goes through (durable_objects/storage.js).
const gates = { written, hold };

class DurableObjectState {
  #entry;
  constructor(token, entry, id) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#entry = entry;
    this.id = id;
    this.storage = new DurableObjectStorage(kToken, entry, gates);
  }
  blockConcurrencyWhile(callback) {
    const entry = this.#entry;
    const result = (async () => callback())();
    hold(entry, result);
    // A failed initialization resets the object, as Workers does.
    result.then(undefined, () => evict(`${entry.className} ${entry.hex}`, entry));
    return result;
  }
  waitUntil(promise) {}
  // The WebSocket hibernation API (js/lazy/do_websocket.js): by object, not by instance.
  acceptWebSocket(ws, tags = []) { hib().acceptWebSocket(this.#entry.className, this.#entry.hex, ws, tags); }
  getWebSockets(tag = undefined) { return hib().getWebSockets(this.#entry.className, this.#entry.hex, tag); }
  getTags(ws) { return hib().getTags(this.#entry.className, this.#entry.hex, ws); }
  setWebSocketAutoResponse(pair = undefined) { hib().setAutoResponse(this.#entry.className, this.#entry.hex, pair); }
  getWebSocketAutoResponse() { return hib().getAutoResponse(this.#entry.className, this.#entry.hex); }
  getWebSocketAutoResponseTimestamp(ws) { return hib().getAutoResponseTimestamp(this.#entry.className, this.#entry.hex, ws); }
  setHibernatableWebSocketEventTimeout(ms = undefined) { hib().setEventTimeout(this.#entry.className, this.#entry.hex, ms); }
  getHibernatableWebSocketEventTimeout() { return hib().getEventTimeout(this.#entry.className, this.#entry.hex); }
}

function hib() { return internal.require("do_websocket"); }

// A hibernatable socket's event (do_websocket.js): `fn(instance)` as one event of the object.
export function runObjectEvent(className, hex, fn) {
  return runEvent(className, hex, (entry) => fn(entry.instance));
}

// Evicts the idle objects now (do_websocket.js's timer); whether the object is still in memory.
export function sweepNow(className, hex) {
  lastSweep = 0;
  sweep();
  return objects.has(`${className} ${hex}`);
}

// ---------------------------------------------------------------------------------------------
// Storage

// ---------------------------------------------------------------------------------------------
// Events from the server: forwarded calls and alarms (the hook of internal.setDoHook, 90_dispatch.js)

function stripped(request) {
  const flat = headersToFlat(request.headers);
  const out = [];
  for (let i = 0; i < flat.length; i += 2) if (!flat[i].startsWith("x-atoll-do")) out.push([flat[i], flat[i + 1]]);
  return out;
}

async function serveRpc(className, hex, request) {
  const [method, args] = native.doDeserialize(await request.arrayBuffer());
  let result;
  try {
    const value = await runEvent(className, hex, (entry) => callMethod(entry, className, method, args));
    result = native.doSerialize({ ok: true, value });
  } catch (e) {
    const error = e instanceof $Error ? { name: e.name, message: e.message } : e;
    result = native.doSerialize({ ok: false, error });
  }
  return new internal.Response(result);
}

async function serveAlarm(className, hex) {
  await runEvent(className, hex, async (entry) => {
    const at = alarmOf(entry);
    if (at === null) {
      native.doAlarmIndex(className, hex, -1, true);
      return;
    }
    if (at > DateNow()) {
      native.doAlarmIndex(className, hex, at, false);
      return;
    }
    const writes = entry.alarmWrites;
    try {
      if (typeof entry.instance.alarm === "function") {
        await entry.instance.alarm({ retryCount: entry.alarmRetries, isRetry: entry.alarmRetries > 0 });
      }
      entry.alarmRetries = 0;
      // Done (at least once): cleared unless the handler set another, even for the same time
      // (the firing one's: setAlarm(Date.now()) within the same millisecond).
      if (entry.alarmWrites === writes && alarmOf(entry) === at) {
        exec(entry, "DELETE FROM _atoll_alarm", []);
        native.doAlarmIndex(className, hex, at, true);
      }
    } catch (e) {
      internal.reportError(e);
      // Retried with backoff, 6 times at most, as Workers does.
      if (entry.alarmRetries++ < 6) {
        const next = DateNow() + 1000 * 2 ** entry.alarmRetries;
        native.doAlarmIndex(className, hex, next, false);
        exec(entry, "INSERT OR REPLACE INTO _atoll_alarm(one, at) VALUES (1, ?)", [next]);
      } else {
        entry.alarmRetries = 0;
        exec(entry, "DELETE FROM _atoll_alarm", []);
        native.doAlarmIndex(className, hex, -1, true);
      }
    }
  });
  return new internal.Response("alarm done");
}

// A request carrying x-atoll-do and this server's token: a call for an object of this process.
// Undefined for every other request.
internal.setDoHook(function doHook(request) {
  const marker = headersGet(request.headers, "x-atoll-do");
  if (marker === null) return undefined;
  if (!native.doCheckToken(headersGet(request.headers, "x-atoll-do-token"))) return undefined;
  const [kind, className, hex] = marker.split(" ");
  if (!ID_RE.test(hex ?? "")) return new internal.Response("bad Durable Object id", { status: 400 });
  if (clustered()) return serveOwned(kind, className, hex, request);
  return serveHere(kind, className, hex, request);
});

function innerRequest(request) {
  const method = headersGet(request.headers, "x-atoll-do-method") ?? "GET";
  return new internal.Request(headersGet(request.headers, "x-atoll-do-url"), {
    method,
    headers: stripped(request),
    body: method === "GET" || method === "HEAD" ? null : request.body,
  });
}

function serveHere(kind, className, hex, request) {
  if (kind === "alarm") return serveAlarm(className, hex);
  if (kind === "rpc") return serveRpc(className, hex, request);
  const inner = innerRequest(request);
  return runEvent(className, hex, (entry) => {
    if (typeof entry.instance.fetch !== "function") throw new $TypeError(`${className} has no fetch() method`);
    return entry.instance.fetch(inner);
  });
}

// Cluster mode: a call (or alarm) that reached this process is served only if this node owns
// the object (resolved once more: a miss claims it), by the process of this node that runs it;
// otherwise 503, never a second crossing between nodes.
async function serveOwned(kind, className, hex, request) {
  let owner;
  try {
    owner = await ownerOf(className, hex);
  } catch (e) {
    return notOwner(e.message);
  }
  if (owner !== true) return notOwner(`Durable Object unavailable here: node ${owner} owns it`);
  if (native.doIsLocal(hex)) return serveHere(kind, className, hex, request);
  if (kind === "alarm") return notOwner("alarm for an object another process runs");
  if (kind === "rpc") return forward(className, hex, "rpc", null, new $Uint8Array(await request.arrayBuffer()));
  return forward(className, hex, "fetch", innerRequest(request));
}

function notOwner(message) {
  return new internal.Response(message, { status: 503, headers: [["x-atoll-do-not-owner", "1"]] });
}

export { DurableObjectId, DurableObjectNamespace, DurableObjectState, DurableObjectStorage };
