// KV namespaces (SPEC §3), shaped as Cloudflare Workers KV
// (https://developers.cloudflare.com/kv/api/): env.STORE is a KVNamespace whose methods return
// promises. The natives (bindings/kv.h) check the limits (key 1-512 UTF-8 bytes, value 25 MiB,
// metadata 1024 bytes serialized, expirationTtl and expiration at least 60 s ahead, list limit
// 1-1000) and answer at once (SQLite: one short statement; a PostgreSQL node's cache hit) or
// later through their callback (PostgreSQL, cluster mode): see answer().
// Worker::NewContext calls newNamespace(index) for each [tenants.kv] binding.
const $TypeError = TypeError;
const $String = String;
const $Number = Number;
const $Uint8Array = Uint8Array;
const $Promise = Promise;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const ArrayBufferIsView = ArrayBuffer.isView;
const { isArrayBuffer } = internal;
const kCreate = Symbol("create");
const $RangeError = RangeError;
const MathFloor = Math.floor;
const $Map = Map;
const $Error = Error;
const ArrayIsArray = Array.isArray;

// A native call's answer: what it returned when its backend answered at once, else (undefined)
// a promise that the callback it was given settles. Use: const box = pending();
// await answer(native.kvX(..., box.callback), box).
function pending() {
  const box = { resolve: undefined, reject: undefined, callback: undefined };
  box.callback = (ok, value) => (ok ? box.resolve(value) : box.reject(value));
  return box;
}

function answer(result, box) {
  if (result !== undefined) return result;
  return new $Promise((resolve, reject) => {
    box.resolve = resolve;
    box.reject = reject;
  });
}

// get()'s cacheTtl (seconds a node may answer from its cache; default 60 as Workers). Workers
// refuses less than 30; atoll takes any whole number of seconds from 0 (0: always read through).
function cacheTtlOf(options) {
  if (options === null || typeof options !== "object") return 60;
  const value = options.cacheTtl;
  if (value === undefined || value === null) return 60;
  const ttl = $Number(value);
  if (!(ttl >= 0) || ttl !== MathFloor(ttl) || ttl > 4294967295) {
    throw new $TypeError(`KV get(): cacheTtl must be a whole number of seconds, not ${$String(value)}`);
  }
  return ttl;
}

function typeOf(options, method) {
  let type = options;
  if (options !== null && typeof options === "object") type = options.type;
  if (type === undefined) return "text";
  type = $String(type);
  if (type !== "text" && type !== "json" && type !== "arrayBuffer" && type !== "stream") {
    throw new $TypeError(`KV ${method}(): unknown response type "${type}"; expected one of "text", "json", "arrayBuffer", "stream"`);
  }
  return type;
}

// A value read as bytes or text, converted to `type`.
function convert(value, type) {
  switch (type) {
    case "json": return JSONParse(value);
    case "stream": return internal.require("streams").bodyStreams.fromBytes(new $Uint8Array(value));
    default: return value;
  }
}

// Bulk reads (https://developers.cloudflare.com/kv/api/read-key-value-pairs/): get([keys]) and
// getWithMetadata([keys]) answer a Map of every key asked for (null where there is none; else
// the value, or { value, metadata }), for 1 to 100 keys, as "text" or "json" only. Errors carry
// workerd's messages (its src/workerd/api/kv-test.js).
async function readMany(index, keys, options, withMetadata) {
  let type = options;
  if (options !== null && typeof options === "object") type = options.type;
  type = type === undefined ? "text" : $String(type);
  if (type !== "text" && type !== "json") {
    throw new $Error(`KV GET_BULK failed: 400 "${type}" is not a valid type. Use "json" or "text"`);
  }
  const count = keys.length;
  if (count > 100) throw new $Error("KV GET_BULK failed: 400 You can request a maximum of 100 keys");
  if (count < 1) throw new $Error("KV GET_BULK failed: 400 You must request a minimum of 1 key");
  const cacheTtl = cacheTtlOf(options);
  const result = new $Map();
  for (let i = 0; i < count; i++) {
    const key = $String(keys[i]);
    const box = pending();
    const found = await answer(native.kvGet(index, key, true, withMetadata, cacheTtl, box.callback), box);
    let value = null;
    if (found !== null) {
      const text = withMetadata ? found[0] : found;
      let parsed = text;
      if (type === "json") {
        try {
          parsed = JSONParse(text);
        } catch {
          throw new $Error("KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value");
        }
      }
      value = withMetadata ? { value: parsed, metadata: found[1] === null ? null : JSONParse(found[1]) } : parsed;
    }
    result.set(key, value);
  }
  return result;
}

async function read(index, key, options, method, withMetadata) {
  if (ArrayIsArray(key)) return readMany(index, key, options, withMetadata);
  const type = typeOf(options, method);
  const cacheTtl = cacheTtlOf(options);
  const box = pending();
  const result = await answer(
    native.kvGet(index, $String(key), type === "text" || type === "json", withMetadata, cacheTtl, box.callback), box);
  if (!withMetadata) return result === null ? null : convert(result, type);
  if (result === null) return { value: null, metadata: null, cacheStatus: null };
  return { value: convert(result[0], type), metadata: result[1] === null ? null : JSONParse(result[1]), cacheStatus: null };
}

// A number option, or undefined; the natives check the ranges.
function numberOption(options, name) {
  const value = options[name];
  if (value === undefined || value === null) return undefined;
  const number = $Number(value);
  if (number !== number) throw new $TypeError(`KV put(): ${name} must be a number, not ${$String(value)}`);
  return number;
}

class KVNamespace {
  #index;

  constructor(token, index) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    this.#index = index;
  }

  async get(key, options = undefined) {
    return read(this.#index, key, options, "get", false);
  }

  async getWithMetadata(key, options = undefined) {
    return read(this.#index, key, options, "getWithMetadata", true);
  }

  async put(key, value, options = undefined) {
    const index = this.#index;
    key = $String(key);
    const opts = options ?? {};
    if (typeof opts !== "object") throw new $TypeError("KV put(): options must be an object");
    const expiration = numberOption(opts, "expiration");
    const expirationTtl = numberOption(opts, "expirationTtl");
    let metadata;
    if (opts.metadata !== undefined && opts.metadata !== null) {
      metadata = JSONStringify(opts.metadata);
      if (metadata === undefined) throw new $TypeError("KV put(): metadata must be serializable to JSON");
    }
    if (typeof value !== "string" && !isArrayBuffer(value) && !ArrayBufferIsView(value)) {
      const streams = internal.loaded("streams");
      if (streams === undefined || !streams.bodyStreams.isReadableStream(value)) {
        throw new $TypeError("KV put(): the value must be a string, an ArrayBuffer, an ArrayBufferView or a ReadableStream");
      }
      const { bodyStreams } = streams;
      if (bodyStreams.isLocked(value) || bodyStreams.isDisturbed(value)) {
        throw new $TypeError("KV put(): the ReadableStream is locked or already read");
      }
      value = await bodyStreams.readAll(value);
    }
    const box = pending();
    await answer(native.kvPut(index, key, value, expiration, expirationTtl, metadata, box.callback), box);
  }

  async delete(key) {
    const box = pending();
    await answer(native.kvDelete(this.#index, $String(key), box.callback), box);
  }

  // workerd's deleteBulk(key | [keys]): up to 100 keys, each deleted as delete() does.
  async deleteBulk(keys) {
    const index = this.#index;
    if (!ArrayIsArray(keys)) {
      const box = pending();
      await answer(native.kvDelete(index, $String(keys), box.callback), box);
      return;
    }
    if (keys.length > 100) throw new $Error("KV DELETE failed: 400 You can delete maximum of 100 keys per request");
    const names = [];
    for (let i = 0; i < keys.length; i++) names[i] = $String(keys[i]);
    for (let i = 0; i < names.length; i++) {
      const box = pending();
      await answer(native.kvDelete(index, names[i], box.callback), box);
    }
  }

  async list(options = undefined) {
    const opts = options ?? {};
    const prefix = opts.prefix === undefined || opts.prefix === null ? "" : $String(opts.prefix);
    let limit = 1000;
    if (opts.limit !== undefined && opts.limit !== null) {
      limit = $Number(opts.limit);
      if (!(limit >= 1 && limit <= 1000) || limit !== MathFloor(limit)) {
        throw new $RangeError(`KV list(): limit is ${$String(opts.limit)}; it must be an integer between 1 and 1000`);
      }
    }
    const cursor = opts.cursor === undefined || opts.cursor === null ? "" : $String(opts.cursor);
    const box = pending();
    const flat = await answer(native.kvList(this.#index, prefix, limit, cursor, box.callback), box);
    const keys = [];
    for (let i = 2; i < flat.length; i += 3) {
      const entry = { name: flat[i] };
      if (flat[i + 1] !== undefined) entry.expiration = flat[i + 1];
      if (flat[i + 2] !== undefined) entry.metadata = JSONParse(flat[i + 2]);
      keys[keys.length] = entry;
    }
    const result = { keys, list_complete: flat[0], cacheStatus: null };
    if (!flat[0]) result.cursor = flat[1];
    return result;
  }
}

Object.defineProperty(KVNamespace.prototype, Symbol.toStringTag, { value: "KVNamespace", configurable: true });

function newNamespace(index) {
  return new KVNamespace(kCreate, index);
}

export { newNamespace };
