"use strict";
// 00_inspect.js: the built-ins every glue file captures, and the few helpers every later glue
// file needs (the value formatter itself, a port of node's util.inspect and of the console
// formatter, is lazy module "inspect": js/lazy/inspect.js):
//   internal.defineGlobal(name, value)      installs a global the Web IDL way
//   internal.exposeInterface(Class, name)   Web IDL shape for a class + defineGlobal
//   internal.registerInspect(Class, fn)     how console shows instances with private state
//   internal.inspect(value, depth?)         the console's object formatter
//   internal.formatArgs(args)               console's argument formatting (%s %d %o ...)
//   internal.reportError(error)             logs an uncaught error ("Uncaught ...") at level error
//   internal.errorMessage(error)            the text native.fail gets for a thrown value
//   internal.uncurryThis(fn)                fn.call without looking `call` up at call time
//   internal.primordials                    the captured built-ins (glue files and lazy modules)
//
// Every built-in used after tenant code started running is captured here first, so a tenant that
// patches Array.prototype or Object cannot break logging.


// `native` and `internal` (and every object of the glue a script could make the engine look a
// property up on) have no prototype: a getter or setter a tenant defines on Object.prototype
// never sees them.
Object.setPrototypeOf(native, null);
Object.setPrototypeOf(internal, null);

const FunctionPrototypeCall = Function.prototype.call;
const FunctionPrototypeBind = Function.prototype.bind;
const ReflectApply = Reflect.apply;
// fn.call without looking `call` (or `bind`) up when used.
const uncurryThis = (fn) => ReflectApply(FunctionPrototypeBind, FunctionPrototypeCall, [fn]);
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectKeys = Object.keys;
const ObjectHasOwn = uncurryThis(Object.prototype.hasOwnProperty);
const ObjectPropertyIsEnumerable = uncurryThis(Object.prototype.propertyIsEnumerable);
const ObjectToString = uncurryThis(Object.prototype.toString);
const ReflectOwnKeys = Reflect.ownKeys;
const ArrayIsArray = Array.isArray;
const ArrayPrototypePush = uncurryThis(Array.prototype.push);
const ArrayPrototypePop = uncurryThis(Array.prototype.pop);
const ArrayPrototypeJoin = uncurryThis(Array.prototype.join);
const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
const StringPrototypeSlice = uncurryThis(String.prototype.slice);
const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf);
const StringPrototypeRepeat = uncurryThis(String.prototype.repeat);
const StringPrototypePadStart = uncurryThis(String.prototype.padStart);
const StringPrototypePadEnd = uncurryThis(String.prototype.padEnd);
const StringPrototypeReplace = uncurryThis(String.prototype.replace);
const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith);
const StringPrototypeToString = uncurryThis(String.prototype.valueOf);
// exec itself, not test: RegExp.prototype.test looks `exec` up on the regexp, a tenant may patch it.
const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec);
const RegExpPrototypeTest = (regexp, string) => RegExpPrototypeExec(regexp, string) !== null;
const RegExpPrototypeToString = uncurryThis(RegExp.prototype.toString);
const RegExpSource = uncurryThis(ObjectGetOwnPropertyDescriptor(RegExp.prototype, "source").get);
const NumberPrototypeValueOf = uncurryThis(Number.prototype.valueOf);
const BooleanPrototypeValueOf = uncurryThis(Boolean.prototype.valueOf);
const SymbolPrototypeValueOf = uncurryThis(Symbol.prototype.valueOf);
const SymbolPrototypeToString = uncurryThis(Symbol.prototype.toString);
const BigIntPrototypeValueOf = uncurryThis(BigInt.prototype.valueOf);
const DatePrototypeGetTime = uncurryThis(Date.prototype.getTime);
const DatePrototypeToISOString = uncurryThis(Date.prototype.toISOString);
const ErrorPrototypeToString = uncurryThis(Error.prototype.toString);
const FunctionPrototypeToString = uncurryThis(Function.prototype.toString);
const MapSize = uncurryThis(ObjectGetOwnPropertyDescriptor(Map.prototype, "size").get);
const MapEntries = uncurryThis(Map.prototype.entries);
const SetSize = uncurryThis(ObjectGetOwnPropertyDescriptor(Set.prototype, "size").get);
const SetValues = uncurryThis(Set.prototype.values);
const MapDelete = uncurryThis(Map.prototype.delete);
const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
const ArrayPrototypeSplice = uncurryThis(Array.prototype.splice);
const $WeakMap = WeakMap;
const WeakMapGet = uncurryThis(WeakMap.prototype.get);
const WeakMapSet = uncurryThis(WeakMap.prototype.set);
const $Symbol = Symbol;
const NumberIsFinite = Number.isFinite;
const StringPrototypeToLowerCase = uncurryThis(String.prototype.toLowerCase);
const PromisePrototypeThen = uncurryThis(Promise.prototype.then);
const MapIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Map().entries()).next);
const SetIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Set().values()).next);
const WeakMapHas = uncurryThis(WeakMap.prototype.has);
const WeakSetHas = uncurryThis(WeakSet.prototype.has);
const ArrayBufferByteLength = uncurryThis(ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get);
const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
const TypedArrayToStringTag = uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get);
const TypedArrayLength = uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "length").get);
const DataViewByteLength = uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, "byteLength").get);
const DataViewByteOffset = uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, "byteOffset").get);
const $Uint8Array = Uint8Array;
const $Map = Map;
const $Promise = Promise;
const $Error = Error;
const $String = String;
const $Number = Number;
const JSONStringify = JSON.stringify;
const NumberParseInt = Number.parseInt;
const NumberParseFloat = Number.parseFloat;
const MathMin = Math.min;
const MathMax = Math.max;
const MathSqrt = Math.sqrt;
const MathRound = Math.round;
const MathFloor = Math.floor;
const DateNow = Date.now;
const SymbolToStringTag = Symbol.toStringTag;
// For lazy modules written against the primordials alone (js/lazy/url.js), which then do not load
// the safe-calls runtime (harden.mjs emits no prelude for a module that needs none).
const $TypeError = TypeError;
const EncodeURIComponent = encodeURIComponent;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
const SymbolIterator = Symbol.iterator;
const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf([][Symbol.iterator]()));
const $Uint32Array = Uint32Array;
const $RangeError = RangeError;
const ArrayBufferIsView = ArrayBuffer.isView;
const ErrorCaptureStackTrace = Error.captureStackTrace;
const nativeLog = native.log;

// ---------------------------------------------------------------------------------------------
// Shared helpers for later glue files.

function defineGlobal(name, value) {
  ObjectDefineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

// Gives a class the shape Web IDL prescribes: operations and attributes enumerable on the
// prototype (and statics on the constructor), Symbol.toStringTag on the prototype, installed as a
// non-enumerable global.
function exposeInterface(Class, name, global = true) {
  const proto = Class.prototype;
  const protoKeys = ReflectOwnKeys(proto);
  for (let i = 0; i < protoKeys.length; i++) {
    const key = protoKeys[i];
    if (key === "constructor" || typeof key === "symbol") continue;
    const desc = ObjectGetOwnPropertyDescriptor(proto, key);
    desc.enumerable = true;
    ObjectDefineProperty(proto, key, desc);
  }
  const staticKeys = ReflectOwnKeys(Class);
  for (let i = 0; i < staticKeys.length; i++) {
    const key = staticKeys[i];
    if (key === "length" || key === "name" || key === "prototype" || typeof key === "symbol") continue;
    const desc = ObjectGetOwnPropertyDescriptor(Class, key);
    desc.enumerable = true;
    ObjectDefineProperty(Class, key, desc);
  }
  ObjectDefineProperty(proto, SymbolToStringTag, { value: name, writable: false, enumerable: false, configurable: true });
  if (global) defineGlobal(name, Class);
}

// prototype -> { name, view(obj) -> plain object whose own enumerable properties are shown }
const inspectHooks = new $Map();
const MapGet = uncurryThis(Map.prototype.get);
const MapSet = uncurryThis(Map.prototype.set);
function registerInspect(Class, view) {
  MapSet(inspectHooks, Class.prototype, { name: Class.name, view });
}

// The value formatter (inspect, console's %-formats) is lazy module "inspect" (js/lazy/inspect.js),
// loaded on the first console call or uncaught error of a context: most requests log nothing.
function formatter() {
  return internal.require("inspect");
}
function inspect(value, depth = 2) {
  return formatter().inspect(value, depth);
}
// Strings only, the first without a '%' (a message, the commonest console call): printed as they
// are, joined by spaces, as the formatter would (node's util.format), without loading it.
function formatArgs(args) {
  if (args.length === 0) return "";
  const first = args[0];
  if (typeof first === "string" && (args.length === 1 || !StringPrototypeIncludes(first, "%"))) {
    let message = first;
    for (let i = 1; i < args.length; i++) {
      if (typeof args[i] !== "string") return formatter().formatArgs(args);
      message += " " + args[i];
    }
    return message;
  }
  return formatter().formatArgs(args);
}
function formatNumber(n) {
  return formatter().formatNumber(n);
}
function quoteString(str) {
  return formatter().quoteString(str);
}

// https://html.spec.whatwg.org/multipage/webappapis.html#report-an-exception: once the events
// module is loaded, an `error` event at the global scope first (a listener may cancel the log).
function reportError(error) {
  const events = internal.globalEvents("onerror");
  if (events !== undefined) {
    events.reportException(error);
  } else {
    logUncaught(error);
  }
}

function logUncaught(error) {
  let message;
  try {
    message = `Uncaught ${formatArgs([error])}`;
  } catch {
    message = "Uncaught exception (unprintable)";
  }
  nativeLog("error", message);
}

function errorMessage(error) {
  try {
    if (error !== null && (typeof error === "object" || typeof error === "function")) {
      const stack = error.stack;
      if (typeof stack === "string" && stack !== "") return stack;
    }
    if (typeof error === "string") return error;
    return inspect(error);
  } catch {
    return "exception (unprintable)";
  }
}

// The intrinsics as they are before any tenant code runs, for lazy/safe_calls.js (the runtime of
// the lazy modules' rewritten method calls, js/lazy/harden.mjs): for each root (a
// global constructor or namespace, its prototype, an iterator prototype), its own properties'
// values and getters. A flat array, per root: rootName, root, D, A, then D pairs (key, value) of
// its data properties and A pairs (key, getter) of its accessors. Compact on purpose: every
// context made from the snapshot deserializes it (safe_calls.js expands it when a context loads
// its first lazy module).
function captureIntrinsics() {
  const TypedArray = ObjectGetPrototypeOf(Uint8Array);
  const roots = [
    "Object", Object, "Function", Function, "Array", Array, "String", String, "Number", Number,
    "Boolean", Boolean, "Symbol", Symbol, "BigInt", BigInt, "RegExp", RegExp, "Promise", Promise,
    "Map", Map, "Set", Set, "WeakMap", WeakMap, "WeakSet", WeakSet, "ArrayBuffer", ArrayBuffer,
    "DataView", DataView, "TypedArray", TypedArray, "Uint8Array", Uint8Array, "Int8Array", Int8Array,
    "Uint8ClampedArray", Uint8ClampedArray, "Uint16Array", Uint16Array, "Int16Array", Int16Array,
    "Uint32Array", Uint32Array, "Int32Array", Int32Array, "Float32Array", Float32Array,
    "Float64Array", Float64Array, "BigInt64Array", BigInt64Array, "BigUint64Array", BigUint64Array,
    "Date", Date, "Error", Error, "TypeError", TypeError, "RangeError", RangeError,
    "SyntaxError", SyntaxError, "Math", Math, "JSON", JSON, "Reflect", Reflect,
    "parseInt", parseInt, "parseFloat", parseFloat, "isNaN", isNaN, "isFinite", isFinite,
    "encodeURIComponent", encodeURIComponent, "decodeURIComponent", decodeURIComponent,
    "encodeURI", encodeURI, "decodeURI", decodeURI,
  ];
  const count = roots.length;
  for (let i = 0; i < count; i += 2) {
    const value = roots[i + 1];
    const proto = typeof value === "function" ? value.prototype : undefined;
    if (proto !== null && (typeof proto === "object" || typeof proto === "function")) ArrayPrototypePush(roots, `${roots[i]}.prototype`, proto);
  }
  ArrayPrototypePush(roots,
    "ArrayIterator", ObjectGetPrototypeOf([][Symbol.iterator]()),
    "StringIterator", ObjectGetPrototypeOf(""[Symbol.iterator]()),
    "MapIterator", ObjectGetPrototypeOf(new Map().entries()),
    "SetIterator", ObjectGetPrototypeOf(new Set().values()),
    "Iterator", ObjectGetPrototypeOf(ObjectGetPrototypeOf([][Symbol.iterator]())));
  const out = [];
  for (let i = 0; i < roots.length; i += 2) {
    const root = roots[i + 1];
    const data = [];
    const accessors = [];
    const keys = ReflectOwnKeys(root);
    for (let k = 0; k < keys.length; k++) {
      const desc = ObjectGetOwnPropertyDescriptor(root, keys[k]);
      const value = desc.value;
      if (desc.get !== undefined) {
        ArrayPrototypePush(accessors, keys[k], desc.get);
      } else if (typeof value === "function" || (value !== null && typeof value === "object")) {
        ArrayPrototypePush(data, keys[k], value);
      }
    }
    ArrayPrototypePush(out, roots[i], root, data.length / 2, accessors.length / 2);
    for (let k = 0; k < data.length; k++) ArrayPrototypePush(out, data[k]);
    for (let k = 0; k < accessors.length; k++) ArrayPrototypePush(out, accessors[k]);
  }
  return out;
}
internal.intrinsics = captureIntrinsics();

// The values of a Web IDL sequence (the iterable protocol, as a spread would, with the captured
// built-ins): for lazy modules written against the primordials, which have no spread.
function sequence(iterable, what) {
  const method = iterable === null || iterable === undefined ? undefined : iterable[SymbolIterator];
  if (typeof method !== "function") throw new $TypeError(`${what} is not iterable`);
  const iterator = ReflectApply(method, iterable, []);
  const next = iterator.next;
  const values = [];
  for (;;) {
    const step = ReflectApply(next, iterator, []);
    if (step === null || typeof step !== "object") throw new $TypeError("the iterator's result is not an object");
    if (step.done) return values;
    ArrayPrototypePush(values, step.value);
  }
}

// Every built-in captured above, for the later glue files and the lazy modules: captured before any
// tenant code ran, so a tenant that patches Array.prototype or Object cannot break them.
internal.primordials = {
  __proto__: null,
  ArrayBufferByteLength,
  ArrayIsArray,
  ArrayPrototypeIndexOf,
  ArrayPrototypeJoin,
  ArrayPrototypePop,
  ArrayPrototypePush,
  ArrayPrototypeSlice,
  BigIntPrototypeValueOf,
  BooleanPrototypeValueOf,
  DataViewByteLength,
  DataViewByteOffset,
  DateNow,
  DatePrototypeGetTime,
  DatePrototypeToISOString,
  $Error,
  ErrorPrototypeToString,
  FunctionPrototypeToString,
  JSONStringify,
  $Map,
  MapDelete,
  MapEntries,
  MapGet,
  MapIteratorNext,
  MapSet,
  MapSize,
  MathFloor,
  MathMax,
  MathMin,
  MathRound,
  MathSqrt,
  $Number,
  NumberParseFloat,
  NumberParseInt,
  NumberPrototypeValueOf,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectGetOwnPropertySymbols,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  ObjectKeys,
  ObjectPropertyIsEnumerable,
  ObjectToString,
  $Promise,
  PromisePrototypeThen,
  ReflectApply,
  ReflectOwnKeys,
  RegExpPrototypeTest,
  RegExpPrototypeToString,
  RegExpSource,
  SetIteratorNext,
  SetSize,
  SetValues,
  $String,
  StringPrototypeCharCodeAt,
  StringPrototypeIncludes,
  StringPrototypeIndexOf,
  StringPrototypePadEnd,
  StringPrototypePadStart,
  StringPrototypeRepeat,
  StringPrototypeReplace,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  StringPrototypeToLowerCase,
  StringPrototypeToString,
  SymbolPrototypeToString,
  SymbolPrototypeValueOf,
  SymbolToStringTag,
  TypedArrayLength,
  TypedArrayPrototype,
  TypedArrayToStringTag,
  $Uint8Array,
  WeakMapHas,
  WeakSetHas,
  $TypeError, EncodeURIComponent, ObjectSetPrototypeOf, ArrayPrototypeSort, SymbolIterator, IteratorPrototype,
  $Uint32Array, $RangeError, ArrayBufferIsView, ErrorCaptureStackTrace,
  ArrayPrototypeSplice, $WeakMap, WeakMapGet, WeakMapSet, $Symbol, NumberIsFinite, sequence,
};
internal.uncurryThis = uncurryThis;
internal.defineGlobal = defineGlobal;
internal.exposeInterface = exposeInterface;
internal.registerInspect = registerInspect;
internal.inspectHooks = inspectHooks;
internal.inspect = inspect;
internal.reportError = reportError;
internal.logUncaught = logUncaught;
internal.errorMessage = errorMessage;

internal.formatArgs = formatArgs;
internal.formatNumber = formatNumber;
internal.quoteString = quoteString;
