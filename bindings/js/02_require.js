"use strict";
// 02_require.js: internal.require(name) loads a built-in of bindings/js/lazy/ into this context,
// once; the lazy globals (lazy_modules.h) and glue that needs a lazy API call it.

const loaded = { __proto__: null };

internal.require = function require(name) {
  let exports = loaded[name];
  if (exports === undefined) {
    exports = native.loadModule(name, native, internal);
    loaded[name] = exports;
  }
  return exports;
};

// The exports of `name` if this context loaded it, else undefined: a value cannot be an instance
// of a class from a module that was never loaded, so type checks need not load it.
internal.loaded = function ifLoaded(name) {
  return loaded[name];
};

// A DOMException (lazy module dom_exception, loaded by the first one made): for the modules that
// throw one only on an error path, so that loading them does not load it.
internal.newDOMException = function newDOMException(message, name) {
  const { DOMException } = internal.require("dom_exception");
  return new DOMException(message, name);
};

// The names of the modules loaded so far (a reused per_request context loads them before it is
// locked down: js/lazy/lockdown.js).
const $ObjectKeys = Object.keys;
internal.loadedNames = function loadedNames() {
  return $ObjectKeys(loaded);
};

// internal.safeCalls (js/lazy/safe_calls.js): what every lazy module calls built-ins through,
// loaded with the first of them in a context (a context that loads none does not carry it).
internal.primordials.ObjectDefineProperty(internal, "safeCalls", {
  __proto__: null,
  configurable: true,
  get() {
    const calls = internal.require("safe_calls");
    internal.primordials.ObjectDefineProperty(internal, "safeCalls", { __proto__: null, value: calls });
    return calls;
  },
});
