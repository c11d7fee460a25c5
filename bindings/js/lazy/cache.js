// The Cache API of Cloudflare Workers (https://developers.cloudflare.com/workers/runtime-apis/cache/):
// the `caches` global (CacheStorage: caches.default, caches.open(name)) and Cache. What match,
// put and delete do (the HTTP semantics, on the natives of bindings/cache_api.h) is lazy module
// cache_operations, loaded by the first of them: libraries check `globalThis.caches` at their top
// level (hono/cache does), which then loads this small module only (BM_FirstUse caches_probe).
// Written against internal.primordials, as dom_exception.js: harden.mjs leaves it as it is and
// it loads no safe-calls runtime.
const { $TypeError, $Promise, $String, ObjectDefineProperty, SymbolToStringTag } = internal.primordials;
const kCreate = { __proto__: null };  // the constructors' token

let operations;
function cacheOperations() {
  if (operations === undefined) operations = internal.require("cache_operations");
  return operations;
}

class Cache {
  #name;
  constructor(token, name) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    this.#name = name;
  }

  // Each answers a promise settled by the operation (what it throws rejects it). The operations
  // are called as plain functions: harden.mjs would route a method call named `match` through
  // the safe-calls runtime (String.prototype.match's name).
  match(request, options = undefined) {
    return new $Promise((resolve) => {
      const { match } = cacheOperations();
      resolve(match(this.#name, request, options));
    });
  }

  put(request, response) {
    return new $Promise((resolve) => {
      const { put } = cacheOperations();
      resolve(put(this.#name, request, response));
    });
  }

  delete(request, options = undefined) {
    return new $Promise((resolve) => {
      const { deleteEntry } = cacheOperations();
      resolve(deleteEntry(this.#name, request, options));
    });
  }
}

class CacheStorage {
  #default;
  #named = { __proto__: null };
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    this.#default = new Cache(kCreate, "");
  }

  get default() {
    return this.#default;
  }

  open(name) {
    return new $Promise((resolve) => {
      const key = `n:${$String(name)}`;
      let cache = this.#named[key];
      if (cache === undefined) cache = this.#named[key] = new Cache(kCreate, key);
      resolve(cache);
    });
  }
}

ObjectDefineProperty(Cache.prototype, SymbolToStringTag, { __proto__: null, value: "Cache", configurable: true });
ObjectDefineProperty(CacheStorage.prototype, SymbolToStringTag, { __proto__: null, value: "CacheStorage", configurable: true });
const caches = new CacheStorage(kCreate);

module.exports = { caches, CacheStorage, Cache };
