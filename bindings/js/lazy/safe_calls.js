"use strict";
// safe_calls.js: the runtime of the lazy modules' rewritten built-in uses
// (js/lazy/harden.mjs, run by build.mjs): internal.safeCalls. Every lazy module, npm code
// included, calls built-in methods and reads built-in statics through here, against the
// intrinsics 00_inspect.js captured before any tenant code ran (internal.intrinsics), so that a
// tenant that patches Array.prototype.push, RegExp.prototype.exec, Promise.prototype.catch,
// Object.defineProperty or the array iterator does not reach into them. A lazy module of its own,
// loaded in a context with the first other lazy module (internal.safeCalls is an accessor,
// 02_require.js), so that a context that loads none (a per_request hello world) does not carry
// it in the snapshot it deserializes. build.mjs takes it as it is: neither bundled (esbuild's
// helpers would read Object.defineProperty after tenant code ran) nor rewritten.
//   globals(names)     -> { "Object": Object, "Object.defineProperty": fn, ... } as captured
//   methods(names)     -> { push(receiver, ...args), ... }: the captured method of the receiver's
//                         built-in prototype, else the receiver's own lookup (ordinary objects)
//   getters(names)     -> { byteLength(receiver), ... }: the same for accessor properties
//   iter(value)        -> what `for...of`, spread and array destructuring iterate: arrays, typed
//                         arrays, strings, Maps and Sets through captured iteration
//   construct(C, arg)  -> `new Map(iterable)` & co. without the patched prototype's set/add
// This file is not rewritten itself: it reads only the captured values, array elements and its
// own null-prototype objects.

// internal.intrinsics is compact (per root: name, root, D, A, D (key, value) pairs, A (key,
// getter) pairs; 00_inspect.js), and used as it is: a context that loads this module gets one
// small object more (root name -> where its pairs are), not an expanded copy or an index of
// every key (each a few thousand slots made on a cold isolate's first lazy module).
const VALUE = 0;
const GETTER = 1;
const compact = internal.intrinsics;
const count = compact.length;

// Root name -> [root, start of its data pairs, start of its accessor pairs, end].
const segments = { __proto__: null };
for (let i = 0; i < count;) {
  const start = i + 4;
  const accessors = start + 2 * compact[i + 2];
  const end = accessors + 2 * compact[i + 3];
  segments[compact[i]] = [compact[i + 1], start, accessors, end];
  i = end;
}
// The captured value (slot VALUE) or getter (slot GETTER) of `key` on root `rootName`.
function find(rootName, key, slot) {
  const segment = segments[rootName];
  if (segment === undefined) return undefined;
  const from = slot === VALUE ? segment[1] : segment[2];
  const to = slot === VALUE ? segment[2] : segment[3];
  for (let i = from; i < to; i += 2) {
    if (compact[i] === key) return compact[i + 1];
  }
  return undefined;
}
function root(name) {
  const segment = segments[name];
  return segment === undefined ? undefined : segment[0];
}

const ReflectApply = find("Reflect", "apply", VALUE);
const ObjectGetPrototypeOf = find("Object", "getPrototypeOf", VALUE);
const ObjectSetPrototypeOf = find("Object", "setPrototypeOf", VALUE);
const ObjectDefineProperty = find("Object", "defineProperty", VALUE);
const ObjectHasOwnProperty = find("Object.prototype", "hasOwnProperty", VALUE);
const ObjectHasOwn = (object, key) => ReflectApply(ObjectHasOwnProperty, object, [key]);
const ArrayIsArray = find("Array", "isArray", VALUE);
const FunctionBind = find("Function.prototype", "bind", VALUE);
const bind = (fn, self) => ReflectApply(FunctionBind, fn, [self]);
const $Map = root("Map");
const $Set = root("Set");
const $WeakMap = root("WeakMap");
const $WeakSet = root("WeakSet");
const $Promise = root("Promise");
const $RegExp = root("RegExp");
const $Symbol = root("Symbol");
const MapGet = find("Map.prototype", "get", VALUE);
const MapSet = find("Map.prototype", "set", VALUE);
const MapEntries = find("Map.prototype", "entries", VALUE);
const SetAdd = find("Set.prototype", "add", VALUE);
const SetValues = find("Set.prototype", "values", VALUE);
const WeakMapSet = find("WeakMap.prototype", "set", VALUE);
const WeakSetAdd = find("WeakSet.prototype", "add", VALUE);
const WeakSetHas = find("WeakSet.prototype", "has", VALUE);
const MapIteratorNext = find("MapIterator", "next", VALUE);
const SetIteratorNext = find("SetIterator", "next", VALUE);
const StringIteratorNext = find("StringIterator", "next", VALUE);
const StringIterator = find("String.prototype", $Symbol.iterator, VALUE);
const ArrayIteratorNext = find("ArrayIterator", "next", VALUE);
const ArrayIteratorPrototype = root("ArrayIterator");
const MapIteratorPrototype = root("MapIterator");
const SetIteratorPrototype = root("SetIterator");
const StringIteratorPrototype = root("StringIterator");
const PromiseThen = find("Promise.prototype", "then", VALUE);
const PromiseResolve = find("Promise", "resolve", VALUE);
const RegExpExec = find("RegExp.prototype", "exec", VALUE);
const TypedArrayLength = find("TypedArray.prototype", "length", GETTER);
const mapGet = (map, key) => ReflectApply(MapGet, map, [key]);
const mapSet = (map, key, value) => ReflectApply(MapSet, map, [key, value]);
const then = (promise, onFulfilled, onRejected) => ReflectApply(PromiseThen, promise, [onFulfilled, onRejected]);
const resolved = (value) => ReflectApply(PromiseResolve, $Promise, [value]);

const ArrayPrototype = root("Array.prototype");
const StringPrototype = root("String.prototype");
const NumberPrototype = root("Number.prototype");
const FunctionPrototype = root("Function.prototype");
const RegExpPrototype = root("RegExp.prototype");
const PromisePrototype = root("Promise.prototype");
const MapPrototype = root("Map.prototype");
const SetPrototype = root("Set.prototype");
const ObjectPrototype = root("Object.prototype");
const TYPED_ARRAYS = ["Uint8Array.prototype", "Int8Array.prototype", "Uint8ClampedArray.prototype",
  "Uint16Array.prototype", "Int16Array.prototype", "Uint32Array.prototype", "Int32Array.prototype",
  "Float32Array.prototype", "Float64Array.prototype", "BigInt64Array.prototype", "BigUint64Array.prototype"];
const typedArrayPrototypes = new $Set();
for (let i = 0; i < TYPED_ARRAYS.length; i++) ReflectApply(SetAdd, typedArrayPrototypes, [root(TYPED_ARRAYS[i])]);
const SetHas = find("Set.prototype", "has", VALUE);
const isTypedArray = (proto) => ReflectApply(SetHas, typedArrayPrototypes, [proto]);

// The prototypes whose methods and getters a rewritten call may reach, most specific first.
const PROTOTYPES = ["Array.prototype", "String.prototype", "Number.prototype", "Boolean.prototype",
  "Symbol.prototype", "BigInt.prototype", "RegExp.prototype", "Promise.prototype", "Map.prototype",
  "Set.prototype", "WeakMap.prototype", "WeakSet.prototype", "ArrayBuffer.prototype", "DataView.prototype",
  "TypedArray.prototype", "Uint8Array.prototype", "Int8Array.prototype", "Uint8ClampedArray.prototype",
  "Uint16Array.prototype", "Int16Array.prototype", "Uint32Array.prototype", "Int32Array.prototype",
  "Float32Array.prototype", "Float64Array.prototype", "BigInt64Array.prototype", "BigUint64Array.prototype",
  "Date.prototype", "Error.prototype", "Function.prototype", "ArrayIterator", "StringIterator", "MapIterator",
  "SetIterator", "Object.prototype"];

const MapHas = find("Map.prototype", "has", VALUE);

// prototype -> the captured function of `key` (in `slot`), for every prototype that has it (typed
// arrays inherit %TypedArray%.prototype's); Object.prototype's apply to the other built-ins.
function tableFor(key, slot) {
  const table = new $Map();
  let objectFn;
  let typedArrayFn;
  for (let k = 0; k < PROTOTYPES.length; k++) {
    const name = PROTOTYPES[k];
    const fn = find(name, key, slot);
    if (typeof fn !== "function") continue;
    if (name === "Object.prototype") objectFn = fn;
    if (name === "TypedArray.prototype") typedArrayFn = fn;
    mapSet(table, root(name), fn);
  }
  const has = (proto) => ReflectApply(MapHas, table, [proto]);
  if (typedArrayFn !== undefined) {
    for (let k = 0; k < TYPED_ARRAYS.length; k++) {
      const proto = root(TYPED_ARRAYS[k]);
      if (!has(proto)) mapSet(table, proto, typedArrayFn);
    }
  }
  if (objectFn !== undefined) {
    for (let k = 0; k < PROTOTYPES.length; k++) {
      const proto = root(PROTOTYPES[k]);
      if (!has(proto)) mapSet(table, proto, objectFn);
    }
  }
  return table;
}

// A regular expression of a built-in (every literal and `new RegExp` of a rewritten module):
// its prototype becomes SafeRegExpPrototype, which inherits from RegExp.prototype and holds the
// captured copy of every property the RegExp algorithms of String.prototype.replace & co. look
// up (exec, the flag getters, flags, the @@ methods, constructor for @@split's species), so a
// patched RegExp.prototype is not reached (node's hardenRegExp, made once per context).
const REGEXP_KEYS = ["exec", "dotAll", "global", "hasIndices", "ignoreCase", "multiline", "source", "sticky",
  "unicode", "flags", $Symbol.match, $Symbol.matchAll, $Symbol.replace, $Symbol.search, $Symbol.split];
const SafeRegExpPrototype = { __proto__: RegExpPrototype };
for (let i = 0; i < REGEXP_KEYS.length; i++) {
  const key = REGEXP_KEYS[i];
  const get = find("RegExp.prototype", key, GETTER);
  ObjectDefineProperty(SafeRegExpPrototype, key, get !== undefined ?
    { __proto__: null, get, configurable: true, enumerable: false } :
    { __proto__: null, value: find("RegExp.prototype", key, VALUE), writable: true, configurable: true, enumerable: false });
}
function SafeRegExp(pattern, flags) {
  return harden(new $RegExp(pattern, flags));
}
ObjectDefineProperty(SafeRegExpPrototype, "constructor", {
  __proto__: null, value: { __proto__: null, [$Symbol.species]: SafeRegExp }, writable: true, configurable: true,
});
function harden(re) {
  if (ObjectGetPrototypeOf(re) === RegExpPrototype) ObjectSetPrototypeOf(re, SafeRegExpPrototype);
  return re;
}
const isRegExp = (value) => {
  if (value === null || typeof value !== "object") return false;
  const proto = ObjectGetPrototypeOf(value);
  return proto === RegExpPrototype || proto === SafeRegExpPrototype;
};

// Methods whose captured version would itself look up a patchable method.
// Methods whose captured version would itself look up a patchable method, as replacements for
// the captured one: "Proto.name" -> function (used by the dispatchers and by globals(), so that
// `uncurryThis(String.prototype.replace)` in a module gets them too).
// A RegExp argument is hardened only while RegExp.prototype is patched: otherwise V8 keeps its
// fast path, which looks nothing up.
const RegExpReplace = find("RegExp.prototype", $Symbol.replace, VALUE);
const RegExpSplit = find("RegExp.prototype", $Symbol.split, VALUE);
const RegExpMatch = find("RegExp.prototype", $Symbol.match, VALUE);
const RegExpMatchAll = find("RegExp.prototype", $Symbol.matchAll, VALUE);
const RegExpSearch = find("RegExp.prototype", $Symbol.search, VALUE);
function regExpPatched() {
  return RegExpPrototype.exec !== RegExpExec || RegExpPrototype[$Symbol.replace] !== RegExpReplace ||
      RegExpPrototype[$Symbol.split] !== RegExpSplit || RegExpPrototype[$Symbol.match] !== RegExpMatch ||
      RegExpPrototype[$Symbol.matchAll] !== RegExpMatchAll || RegExpPrototype[$Symbol.search] !== RegExpSearch;
}
const specials = { __proto__: null };
const RegExpTest = find("RegExp.prototype", "test", VALUE);
specials["RegExp.prototype.test"] = function test(string) {
  // The captured test looks exec up: only while exec is the captured one (V8's fast path).
  if (RegExpPrototype.exec === RegExpExec) return ReflectApply(RegExpTest, this, [string]);
  return ReflectApply(RegExpExec, this, [string]) !== null;
};
const STRING_REGEXP_METHODS = ["replace", "replaceAll", "match", "matchAll", "split", "search"];
for (let i = 0; i < STRING_REGEXP_METHODS.length; i++) {
  const name = STRING_REGEXP_METHODS[i];
  const forString = find("String.prototype", name, VALUE);
  if (forString === undefined) continue;
  // Two arguments at most (an absent second one is undefined, as these methods treat it).
  specials[`String.prototype.${name}`] = function (pattern, second) {
    if (isRegExp(pattern) && regExpPatched()) harden(pattern);
    return ReflectApply(forString, this, [pattern, second]);
  };
}
specials["Promise.prototype.catch"] = function (onRejected) { return then(this, undefined, onRejected); };
specials["Promise.prototype.finally"] = function (onFinally) {
  if (typeof onFinally !== "function") return then(this, onFinally, onFinally);
  return then(this, (value) => then(resolved(onFinally()), () => value),
    (reason) => then(resolved(onFinally()), () => { throw reason; }));
};
// Object.hasOwn: V8 10.2 installs its "shipping" harmony built-ins (Object.hasOwn, the at() and
// findLast() methods) on each context as it is made from the snapshot, so the snapshot's capture
// (internal.intrinsics) has none of them. A lazy module's Object.hasOwn is this one, over the
// captured hasOwnProperty; its at()/findLast() calls reach the receiver's own method (the
// dispatcher's fallback for a method not captured).
const $TypeError = root("TypeError");
specials["Object.hasOwn"] = function hasOwn(object, key) {
  if (object === null || object === undefined) throw new $TypeError("Cannot convert undefined or null to object");
  return ObjectHasOwn(root("Object")(object), key);
};
function special(name, table) {
  const prototypes = ["RegExp.prototype", "String.prototype", "Promise.prototype"];
  for (let i = 0; i < prototypes.length; i++) {
    const fn = specials[`${prototypes[i]}.${typeof name === "string" ? name : ""}`];
    if (fn !== undefined) mapSet(table, root(prototypes[i]), fn);
  }
}

const dispatchers = { __proto__: null };
// The method of `name` for a receiver: the captured one of its built-in prototype, else its own.
function methodLookup(name) {
  const table = tableFor(name, VALUE);
  special(name, table);
  const forRegExp = mapGet(table, RegExpPrototype);
  if (forRegExp !== undefined) mapSet(table, SafeRegExpPrototype, forRegExp);
  const forString = mapGet(table, StringPrototype);
  const forNumber = mapGet(table, NumberPrototype);
  const forFunction = mapGet(table, FunctionPrototype);
  const forArray = mapGet(table, ArrayPrototype);
  return (receiver) => {
    let method;
    if (typeof receiver === "string") {
      method = forString;
    } else if (typeof receiver === "object" && receiver !== null) {
      const proto = ObjectGetPrototypeOf(receiver);
      method = proto === ArrayPrototype ? forArray : mapGet(table, proto);
      // A plain object's own method (a dictionary with its own toString) wins.
      if (proto === ObjectPrototype && method !== undefined && ObjectHasOwn(receiver, name)) method = undefined;
    } else if (typeof receiver === "function") {
      method = ObjectHasOwn(receiver, name) ? undefined : forFunction;
    } else if (typeof receiver === "number") {
      method = forNumber;
    }
    return method === undefined ? receiver[name] : method;
  };
}

// A module's prelude asks for every dispatcher it may use; each one's table is made at its first
// call (most are not called by a given request), not when the module loads.
function dispatcher(name) {
  let fn = dispatchers[name];
  if (fn !== undefined) return fn;
  let made;
  const lookup = (receiver) => (made === undefined ? (made = methodLookup(name)) : made)(receiver);
  // One function per argument count a call site uses (array literals V8 turns into direct calls).
  fn = [
    (receiver) => ReflectApply(lookup(receiver), receiver, []),
    (receiver, a) => ReflectApply(lookup(receiver), receiver, [a]),
    (receiver, a, b) => ReflectApply(lookup(receiver), receiver, [a, b]),
    (receiver, a, b, c) => ReflectApply(lookup(receiver), receiver, [a, b, c]),
    (receiver, ...args) => ReflectApply(lookup(receiver), receiver, args),
  ];
  dispatchers[name] = fn;
  return fn;
}

const getterDispatchers = { __proto__: null };
function getterTable(name) {
  const table = tableFor(name, GETTER);
  const forRegExp = mapGet(table, RegExpPrototype);
  if (forRegExp !== undefined) mapSet(table, SafeRegExpPrototype, forRegExp);
  return table;
}
function getterDispatcher(name) {
  let fn = getterDispatchers[name];
  if (fn !== undefined) return fn;
  let table;
  fn = function (receiver) {
    if (typeof receiver !== "object" || receiver === null) return receiver[name];
    if (table === undefined) table = getterTable(name);
    const getter = mapGet(table, ObjectGetPrototypeOf(receiver));
    return getter === undefined ? receiver[name] : ReflectApply(getter, receiver, []);
  };
  getterDispatchers[name] = fn;
  return fn;
}

// Iteration over captured state: an object with its own next and @@iterator on a null-prototype
// prototype, so neither a patched %ArrayIteratorPrototype%.next nor Object.prototype.return is
// reached.
class SafeArrayIterator {
  #list;
  #index = 0;
  #typed;
  constructor(list, typed = false) {
    this.#list = list;
    this.#typed = typed;
  }
  next() {
    const list = this.#list;
    const length = this.#typed ? ReflectApply(TypedArrayLength, list, []) : list.length;
    if (this.#index >= length) return { __proto__: null, value: undefined, done: true };
    return { __proto__: null, value: list[this.#index++], done: false };
  }
  [$Symbol.iterator]() {
    return this;
  }
}
ObjectSetPrototypeOf(SafeArrayIterator.prototype, null);
class SafeNativeIterator {
  #iterator;
  #next;
  constructor(iterator, next) {
    this.#iterator = iterator;
    this.#next = next;
  }
  next() {
    const result = ReflectApply(this.#next, this.#iterator, []);
    return { __proto__: null, value: result.value, done: result.done };
  }
  [$Symbol.iterator]() {
    return this;
  }
}
ObjectSetPrototypeOf(SafeNativeIterator.prototype, null);

// While the iteration methods are the captured ones (a tenant that patches none, the common
// case), a built-in iterates natively: the value itself is returned, and no tenant code can run
// between this check and the for...of that uses it.
const ArrayValues = find("Array.prototype", $Symbol.iterator, VALUE);
const TypedArrayValues = find("TypedArray.prototype", $Symbol.iterator, VALUE);
const IteratorPrototype = root("Iterator");
const IteratorSelf = find("Iterator", $Symbol.iterator, VALUE);
const TypedArrayPrototype = root("TypedArray.prototype");
function iter(value) {
  if (typeof value === "string") {
    if (StringPrototype[$Symbol.iterator] === StringIterator && StringIteratorPrototype.next === StringIteratorNext) return value;
    return new SafeNativeIterator(ReflectApply(StringIterator, value, []), StringIteratorNext);
  }
  if (typeof value !== "object" || value === null) return value;
  const proto = ObjectGetPrototypeOf(value);
  if (proto === ArrayPrototype) {
    if (ArrayPrototype[$Symbol.iterator] === ArrayValues && ArrayIteratorPrototype.next === ArrayIteratorNext) return value;
    return new SafeArrayIterator(value);
  }
  if (isTypedArray(proto)) {
    if (value[$Symbol.iterator] === TypedArrayValues && ArrayIteratorPrototype.next === ArrayIteratorNext &&
        TypedArrayPrototype[$Symbol.iterator] === TypedArrayValues) return value;
    return new SafeArrayIterator(value, true);
  }
  if (proto === MapPrototype) {
    if (MapPrototype[$Symbol.iterator] === MapEntries && MapIteratorPrototype.next === MapIteratorNext) return value;
    return new SafeNativeIterator(ReflectApply(MapEntries, value, []), MapIteratorNext);
  }
  if (proto === SetPrototype) {
    if (SetPrototype[$Symbol.iterator] === SetValues && SetIteratorPrototype.next === SetIteratorNext) return value;
    return new SafeNativeIterator(ReflectApply(SetValues, value, []), SetIteratorNext);
  }
  // An iterator of a built-in (array.entries(), map.keys(), ...): its captured next.
  let next;
  if (proto === ArrayIteratorPrototype) next = ArrayIteratorNext;
  else if (proto === MapIteratorPrototype) next = MapIteratorNext;
  else if (proto === SetIteratorPrototype) next = SetIteratorNext;
  else if (proto === StringIteratorPrototype) next = StringIteratorNext;
  else return value;
  if (proto.next === next && IteratorPrototype[$Symbol.iterator] === IteratorSelf) return value;
  return new SafeNativeIterator(value, next);
}

// `new Map(iterable)` & co. call the new object's (patchable) set/add: fill it with the captured one.
function construct(Class, iterable) {
  const object = new Class();
  if (iterable === undefined || iterable === null) return object;
  let add;
  if (Class === $Map) add = MapSet;
  else if (Class === $Set) add = SetAdd;
  else if (Class === $WeakMap) add = WeakMapSet;
  else if (Class === $WeakSet) add = WeakSetAdd;
  else return new Class(iterable);
  const pairs = add === MapSet || add === WeakMapSet;
  for (const entry of iter(iterable)) {
    ReflectApply(add, object, pairs ? [entry[0], entry[1]] : [entry]);
  }
  return object;
}

// Statics that use their `this` get it bound; the rest are the captured functions themselves.
const BOUND_STATICS = { __proto__: null, Promise: true, Array: true, TypedArray: true, Uint8Array: true };
function promiseAll(iterable) {
  return new $Promise((resolve, reject) => {
    const values = [];
    let remaining = 1;
    let index = 0;
    for (const item of iter(iterable)) {
      const at = index++;
      remaining++;
      ObjectDefineProperty(values, at, { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true });
      then(resolved(item), (value) => {
        values[at] = value;
        if (--remaining === 0) resolve(values);
      }, reject);
    }
    if (--remaining === 0) resolve(values);
  });
}
const ArrayFrom = find("Array", "from", VALUE);
const $Array = root("Array");
const overrides = {
  __proto__: null,
  "Promise.all": promiseAll,
  "Array.from": (items, mapFn, thisArg) => ReflectApply(ArrayFrom, $Array, [iter(items), mapFn, thisArg]),
};

function globals(names) {
  const out = { __proto__: null };
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    let value = overrides[name];
    if (value === undefined) value = specials[name];
    if (value === undefined) {
      const segment = segments[name];
      if (segment !== undefined) {
        value = segment[0];
      } else {
        // "Root.key": the longest root that is a prefix.
        let dot = name.length;
        while (value === undefined && (dot = lastDot(name, dot)) > 0) {
          const rootName = sliceTo(name, dot);
          if (segments[rootName] !== undefined) {
            const key = sliceFrom(name, dot + 1);
            value = find(rootName, key, VALUE);
            if (typeof value === "function" && BOUND_STATICS[rootName] === true) value = bind(value, root(rootName));
            break;
          }
        }
      }
    }
    // Not in this V8 (a newer built-in the module tests for): undefined, as the lookup would be.
    out[name] = value;
  }
  return out;
}
const StringSlice = find("String.prototype", "slice", VALUE);
const StringLastIndexOf = find("String.prototype", "lastIndexOf", VALUE);
const lastDot = (name, before) => ReflectApply(StringLastIndexOf, name, [".", before - 1]);
const sliceTo = (name, end) => ReflectApply(StringSlice, name, [0, end]);
const sliceFrom = (name, start) => ReflectApply(StringSlice, name, [start]);

// "push/1": the dispatcher of push for calls with one argument ("push/*": any number, spread);
// "@@iterator/0" names the method keyed by Symbol.iterator (and so on).
function methods(names) {
  const out = { __proto__: null };
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const slash = ReflectApply(StringLastIndexOf, name, ["/"]);
    const method = sliceTo(name, slash);
    const arity = sliceFrom(name, slash + 1);
    const wellKnown = method[0] === "@" && method[1] === "@";
    const versions = dispatcher(wellKnown ? $Symbol[sliceFrom(method, 2)] : method);
    out[name] = versions[arity === "*" ? 4 : +arity];
  }
  return out;
}

function getters(names) {
  const out = { __proto__: null };
  for (let i = 0; i < names.length; i++) out[names[i]] = getterDispatcher(names[i]);
  return out;
}

module.exports = { __proto__: null, globals, methods, getters, iter, construct, harden, SafeRegExp };
