// lockdown.js: makes a per_request context safe to reuse for request after request (README "What
// per_request guarantees and what it does not"). Called once by C++ (worker_reuse.cc) when the
// context is made, after the bindings and globals are installed and before tenant code runs:
// - deletes what leaks across uses with no way to freeze it: RegExp's legacy statics ($1..$9,
//   input, lastMatch, ...) and FinalizationRegistry (its callbacks run whenever the GC says);
// - hardens (SES `harden`, https://github.com/endojs/endo/tree/master/packages/ses): freezes every
//   object reachable from the global object (own properties, getters and setters, prototypes),
//   so no intrinsic, Web API class or prototype can be changed; a few properties that code
//   commonly assigns on its own objects (`name`, `message`, `toString`, `constructor` on
//   Object/Error prototypes) become accessors that define the property on the receiver, as
//   SES's "override mistake" fix does;
// - makes every existing global non-writable and non-configurable, the global object
//   non-extensible, and puts a Proxy between it and its prototype: a name the global does not
//   have is read from and written to a per-use store (`globalThis.x = 1`, then `x`);
// - lazy globals (lazy_modules.h) become accessors that load the module on first read and harden
//   what it exports, as does every built-in a tenant imports (node:*, cloudflare:*).
// The returned function starts a new use: a fresh store, no timers, console or performance
// state of the previous one.
const {
  apply, defineProperty, deleteProperty, get, getOwnPropertyDescriptor, getPrototypeOf, has, ownKeys,
  preventExtensions, set, setPrototypeOf,
} = Reflect;
const { create, freeze, hasOwn } = Object;
const ObjectPrototype = Object.prototype;
const $Proxy = Proxy;
const $TypeError = TypeError;
const $WeakSet = WeakSet;
const WeakSetHas = WeakSet.prototype.has;
const WeakSetAdd = WeakSet.prototype.add;
const ArrayPush = Array.prototype.push;
const ArrayPop = Array.prototype.pop;

const hardened = new $WeakSet();

// Freezes `root` and everything reachable from it (own properties, accessors, prototypes).
// `methods`: every method of a prototype first frozen here stays assignable on objects that
// inherit it (a built-in module's classes: node:stream's Readable.prototype.on over the already
// frozen EventEmitter.prototype.on), not only toString/valueOf/toLocaleString.
function harden(root, methods = false) {
  const stack = [root];
  while (stack.length > 0) {
    const value = apply(ArrayPop, stack, []);
    if (value === null || (typeof value !== "object" && typeof value !== "function")) continue;
    if (apply(WeakSetHas, hardened, [value])) continue;
    apply(WeakSetAdd, hardened, [value]);
    // A prototype (its constructor's .prototype): the methods code commonly assigns on objects
    // that inherit them (Buffer.prototype.toString over %TypedArray%.prototype's) stay assignable there.
    const ctor = getOwnPropertyDescriptor(value, "constructor");
    if (ctor !== undefined && typeof ctor.value === "function" && ctor.value.prototype === value) {
      const names = methods ? ownKeys(value) : kOverridable;
      for (let i = 0; i < names.length; i++) {
        if (names[i] === "constructor") continue;
        const desc = methods ? getOwnPropertyDescriptor(value, names[i]) : undefined;
        if (!methods || (desc !== undefined && typeof desc.value === "function")) enableOverride(value, names[i]);
      }
    }
    try {
      freeze(value);
    } catch {
      // A typed array with elements cannot be frozen: it stays as it is (none is reachable from
      // the global object).
      preventExtensions(value);
    }
    apply(ArrayPush, stack, [getPrototypeOf(value)]);
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const desc = getOwnPropertyDescriptor(value, keys[i]);
      if (desc === undefined) continue;
      if (hasOwn(desc, "value")) apply(ArrayPush, stack, [desc.value]);
      else apply(ArrayPush, stack, [desc.get, desc.set]);
    }
  }
  return root;
}

// SES's override-mistake fix for `key` of prototype `proto`: an assignment to an object that
// inherits it defines the property on that object instead of failing on the frozen prototype.
function enableOverride(proto, key) {
  const desc = getOwnPropertyDescriptor(proto, key);
  if (desc === undefined || !hasOwn(desc, "value") || !desc.writable || !desc.configurable) return;
  const value = desc.value;
  defineProperty(proto, key, {
    __proto__: null,
    get: function get() { return value; },
    set: function set(newValue) {
      if (this === proto) throw new $TypeError(`Cannot assign to read only property '${String(key)}' of a shared prototype`);
      defineProperty(this, key, { __proto__: null, value: newValue, writable: true, enumerable: true, configurable: true });
    },
    enumerable: desc.enumerable,
    configurable: false,
  });
}

const kOverridable = ["toString", "toLocaleString", "valueOf"];
const kRegExpStatics = [
  "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "input", "$_", "lastMatch", "$&", "lastParen", "$+",
  "leftContext", "$`", "rightContext", "$'",
];
const kErrors = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "AggregateError"];

// Built-in module name -> what restores its shared state that freezing cannot protect, run at
// each reset once the module is loaded.
const moduleResets = {
  __proto__: null,
  // EventEmitter.defaultMaxListeners is a non-configurable accessor whose setter writes a module
  // variable.
  node_events(exports) {
    const EventEmitter = typeof exports === "function" ? exports : exports.EventEmitter;
    if (typeof EventEmitter !== "function") return undefined;
    const initial = EventEmitter.defaultMaxListeners;
    return () => {
      if (EventEmitter.defaultMaxListeners !== initial) EventEmitter.defaultMaxListeners = initial;
    };
  },
};
const resets = [];

// The hidden intrinsics no global leads to.
function hiddenIntrinsics() {
  const roots = [
    getPrototypeOf(async function () {}), getPrototypeOf(function* () {}), getPrototypeOf(async function* () {}),
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().entries()),
    getPrototypeOf(""[Symbol.iterator]()), getPrototypeOf(/a/[Symbol.matchAll]("")),
    getPrototypeOf(getPrototypeOf((function* () {})())), getPrototypeOf(getPrototypeOf((async function* () {})())),
    getOwnPropertyDescriptor(function () { "use strict"; return arguments; }(), "callee").get,
  ];
  return roots;
}

// A module's exports, and the values behind its getters (esbuild's exports are getters).
function hardenExports(exports) {
  harden(exports, true);
  if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return;
  const keys = ownKeys(exports);
  for (let i = 0; i < keys.length; i++) {
    const desc = getOwnPropertyDescriptor(exports, keys[i]);
    if (desc === undefined) continue;
    const value = hasOwn(desc, "value") ? desc.value : desc.get !== undefined ? exports[keys[i]] : undefined;
    harden(value, true);
    if (value !== null && typeof value === "object") hardenGetters(value);
  }
}

// A Web API singleton (crypto, caches, navigator, ...): what its prototypes' getters answer
// (crypto.subtle, caches.default) is shared by every use too.
function hardenGetters(object) {
  for (let proto = getPrototypeOf(object); proto !== null && proto !== ObjectPrototype; proto = getPrototypeOf(proto)) {
    const keys = ownKeys(proto);
    for (let i = 0; i < keys.length; i++) {
      const desc = getOwnPropertyDescriptor(proto, keys[i]);
      if (desc === undefined || desc.get === undefined) continue;
      try {
        harden(apply(desc.get, object, []));
      } catch {
        // A getter that throws here has nothing to share.
      }
    }
  }
}

// `preload`: modules to load before anything is frozen (those the tenant's first context loaded:
// a module that assigns over intrinsics, such as Buffer's methods over Uint8Array's, cannot load
// once they are frozen).
function lockdown(lazy, env, preload) {
  for (let i = 0; i < preload.length; i++) {
    try {
      internal.require(preload[i]);
    } catch {
      // Loaded on first use instead, if it can be.
    }
  }
  // The ES2023+ placeholders on intrinsics (es_builtins.h) install core-js when first read: read
  // now, before anything is frozen (core-js assigns to the intrinsics).
  internal.require("es_builtins");
  for (let i = 0; i < kRegExpStatics.length; i++) deleteProperty(RegExp, kRegExpStatics[i]);
  deleteProperty(globalThis, "FinalizationRegistry");

  // Every built-in a tenant gets (imports, lazy globals) is hardened when first loaded.
  const plainRequire = internal.require;
  const hardRequire = function hardRequire(name) {
    const exports = plainRequire(name);
    if (!apply(WeakSetHas, hardened, [exports])) {
      const makeReset = moduleResets[name];
      if (makeReset !== undefined) {
        const reset = makeReset(exports);
        if (reset !== undefined) apply(ArrayPush, resets, [reset]);
      }
      hardenExports(exports);
    }
    return exports;
  };
  internal.require = hardRequire;

  const lazyNames = create(null);
  for (let i = 0; i + 1 < lazy.length; i += 2) {
    const name = lazy[i];
    const module = lazy[i + 1];
    if (!hasOwn(globalThis, name)) continue;
    lazyNames[name] = true;
    deleteProperty(globalThis, name);  // a lazy data property: deleting it loads nothing
    let loaded = false;
    let value;
    defineProperty(globalThis, name, {
      __proto__: null,
      get: function lazyGlobal() {
        if (!loaded) {
          value = get(hardRequire(module), name);
          loaded = true;
        }
        return value;
      },
      set: function readOnlyGlobal() {
        throw new $TypeError(`Cannot assign to global '${name}': globals are read-only in a per_request context`);
      },
      enumerable: false,
      configurable: false,
    });
  }

  enableOverride(Object.prototype, "toString");
  enableOverride(Object.prototype, "valueOf");
  enableOverride(Object.prototype, "constructor");
  for (let i = 0; i < kErrors.length; i++) {
    const ctor = globalThis[kErrors[i]];
    if (typeof ctor !== "function") continue;
    for (const key of ["name", "message", "constructor", "toString"]) enableOverride(ctor.prototype, key);
  }

  apply(WeakSetAdd, hardened, [globalThis]);
  const keys = ownKeys(globalThis);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (lazyNames[key] === true) continue;
    const desc = getOwnPropertyDescriptor(globalThis, key);  // reads an accessor global (WebAssembly) now
    if (desc === undefined) continue;
    if (hasOwn(desc, "value")) {
      harden(desc.value);
      defineProperty(globalThis, key, { __proto__: null, writable: false, configurable: false });
    } else {
      harden(desc.get);
      harden(desc.set);
      defineProperty(globalThis, key, { __proto__: null, configurable: false });
    }
  }
  if (env !== undefined) harden(env);
  const hidden = hiddenIntrinsics();
  for (let i = 0; i < hidden.length; i++) harden(hidden[i]);

  // Names the global does not have live in `store`, one per use.
  let store = create(null);
  const base = getPrototypeOf(globalThis);
  const proxy = new $Proxy(base, {
    __proto__: null,
    get(target, key, receiver) {
      return hasOwn(store, key) ? store[key] : get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      if (receiver === globalThis) {
        store[key] = value;
        return true;
      }
      return set(target, key, value, receiver);
    },
    has(target, key) {
      return hasOwn(store, key) || has(target, key);
    },
  });
  harden(base);
  setPrototypeOf(globalThis, proxy);
  preventExtensions(globalThis);

  const resetTimers = internal.resetTimers;
  const resetConsole = internal.resetConsole;
  const loaded = internal.loaded;
  return function resetForUse() {
    store = create(null);
    resetTimers();
    resetConsole();
    const scope = loaded("scope");
    if (scope !== undefined) scope.resetForUse();
    for (let i = 0; i < resets.length; i++) resets[i]();
  };
}

export { lockdown, harden };
