"use strict";
// 10_headers.js: Headers (https://fetch.spec.whatwg.org/#headers-class).
//
// The header list is kept as ONE flat array [name, value, name, value, ...] in insertion order,
// names lower-cased (Workers and HTTP/2 lower-case them; get/has/delete are case-insensitive
// anyway), values normalized (leading/trailing HTTP whitespace removed). The flat layout is the
// one C++ sends and receives, so an incoming request's headers are adopted without a copy and a
// response's list goes to native.respond as is.
//
// Guards: "immutable" throws a TypeError on append/delete/set. Like Cloudflare Workers, the
// "request" and "response" guards do NOT filter forbidden request-header names or
// forbidden response-header names (set-cookie, host, content-length...): a server builds
// responses with set-cookie and forwards requests with any header. "request-no-cors" (the
// headers of `new Request(url, {mode: "no-cors"})`) keeps only no-CORS-safelisted request-headers,
// silently dropping the others, as the Fetch spec has it
// (https://fetch.spec.whatwg.org/#concept-headers-append).
//
// internal helpers for later files (none of them validates anything):
//   internal.headersFromFlat(flat, guard)  a Headers that ADOPTS `flat` (caller gives it up)
//   internal.headersToFlat(headers)        the live list; read-only for the caller
//   internal.headersCopyList(headers)      a copy of the list
//   internal.setHeadersGuard(headers, g) / internal.headersGuard(headers)
//   internal.headersFill(headers, init)    the spec's "fill" (validates, respects the guard)
//   internal.headersContains(headers, lowerName) / internal.headersGet(headers, lowerName)
//   internal.headersAppendRaw(headers, lowerName, value) / internal.headersAppendGuarded(...)
//   internal.isHeaders(value)
//   internal.flatListGet(flat, lowerName)  combined value of lowerName in a flat list, or null
//   internal.isHeaderName(string) / internal.TOKEN

const { exposeInterface, registerInspect, uncurryThis } = internal;
const ReflectApply = Reflect.apply;
const ObjectKeys = Object.keys;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const {
  ObjectPropertyIsEnumerable, ArrayPrototypePush, ArrayPrototypeSlice, StringPrototypeToLowerCase,
  StringPrototypeSlice, StringPrototypeCharCodeAt, RegExpPrototypeTest,
} = internal.primordials;
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectCreate = Object.create;
const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
const SymbolIterator = Symbol.iterator;
const $TypeError = TypeError;

// https://httpwg.org/specs/rfc9110.html#tokens
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HAS_UPPER = /[A-Z]/;
// A header value (after normalization) must not contain NUL, CR or LF; a ByteString cannot hold
// code units above U+00FF.
const INVALID_VALUE = /[\0\r\n\u0100-\uffff]/;

function isHTTPWhitespace(c) {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function normalizeValue(value) {
  let start = 0;
  let end = value.length;
  while (start < end && isHTTPWhitespace(StringPrototypeCharCodeAt(value, start))) start++;
  while (end > start && isHTTPWhitespace(StringPrototypeCharCodeAt(value, end - 1))) end--;
  return start === 0 && end === value.length ? value : StringPrototypeSlice(value, start, end);
}

function describe(string) {
  return string.length > 64 ? `"${StringPrototypeSlice(string, 0, 64)}..."` : `"${string}"`;
}

// name: already a string. Returns it lower-cased or throws.
function checkName(name, method) {
  if (!RegExpPrototypeTest(TOKEN, name)) {
    throw new $TypeError(`Failed to execute '${method}' on 'Headers': Invalid header name ${describe(name)}.`);
  }
  return RegExpPrototypeTest(HAS_UPPER, name) ? StringPrototypeToLowerCase(name) : name;
}

// value: already a normalized string.
function checkValue(name, value, method) {
  if (RegExpPrototypeTest(INVALID_VALUE, value)) {
    throw new $TypeError(`Failed to execute '${method}' on 'Headers': Invalid value for header ${describe(name)}.`);
  }
}

// The "request-no-cors" guard's filter (lazy module no_cors: only no-cors requests need it).
function noCors() {
  return internal.require("no_cors");
}

function argumentsRequired(method, required, present) {
  return new $TypeError(
    `Failed to execute '${method}' on 'Headers': ${required} argument${required > 1 ? "s" : ""} required, but only ${present} present.`);
}

const kAdopt = {};
let createHeaders;
let listOf;
let setGuard;
let guardOf;
let sortedOf;
let isHeaders;
let appendRaw;
let appendList;
let HeadersPrototypeEntries;

class Headers {
  #list;
  #guard;
  #sorted; // cache of "sort and combine" (flat), null when stale

  constructor(init = undefined) {
    if (init === kAdopt) return;
    this.#list = [];
    this.#guard = "none";
    this.#sorted = null;
    if (init !== undefined) fill(this, init);
  }

  append(name, value) {
    const list = this.#list;
    if (arguments.length < 2) throw argumentsRequired("append", 2, arguments.length);
    name = `${name}`;
    value = normalizeValue(`${value}`);
    const lower = checkName(name, "append");
    checkValue(name, value, "append");
    if (this.#guard === "immutable") throw new $TypeError("Failed to execute 'append' on 'Headers': Headers are immutable.");
    if (this.#guard === "request-no-cors") {
      const current = getCombined(list, lower);
      if (!noCors().isNoCorsSafelisted(lower, current === null ? value : `${current}, ${value}`)) return;
    }
    ArrayPrototypePush(list, lower, value);
    if (this.#guard === "request-no-cors") noCors().removePrivileged(list);
    this.#sorted = null;
  }

  delete(name) {
    const list = this.#list;
    if (arguments.length < 1) throw argumentsRequired("delete", 1, arguments.length);
    const lower = checkName(`${name}`, "delete");
    if (this.#guard === "immutable") throw new $TypeError("Failed to execute 'delete' on 'Headers': Headers are immutable.");
    if (this.#guard === "request-no-cors" && lower !== "accept" && lower !== "accept-language" &&
        lower !== "content-language" && lower !== "content-type" && lower !== "range") {
      return;
    }
    let j = 0;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lower) continue;
      if (i !== j) {
        list[j] = list[i];
        list[j + 1] = list[i + 1];
      }
      j += 2;
    }
    if (j !== list.length) {
      list.length = j;
      this.#sorted = null;
    }
  }

  get(name) {
    const list = this.#list;
    if (arguments.length < 1) throw argumentsRequired("get", 1, arguments.length);
    return getCombined(list, checkName(`${name}`, "get"));
  }

  getSetCookie() {
    const list = this.#list;
    const values = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === "set-cookie") ArrayPrototypePush(values, list[i + 1]);
    }
    return values;
  }

  has(name) {
    const list = this.#list;
    if (arguments.length < 1) throw argumentsRequired("has", 1, arguments.length);
    const lower = checkName(`${name}`, "has");
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lower) return true;
    }
    return false;
  }

  set(name, value) {
    const list = this.#list;
    if (arguments.length < 2) throw argumentsRequired("set", 2, arguments.length);
    name = `${name}`;
    value = normalizeValue(`${value}`);
    const lower = checkName(name, "set");
    checkValue(name, value, "set");
    if (this.#guard === "immutable") throw new $TypeError("Failed to execute 'set' on 'Headers': Headers are immutable.");
    if (this.#guard === "request-no-cors" && !noCors().isNoCorsSafelisted(lower, value)) return;
    let found = false;
    let j = 0;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lower) {
        if (found) continue;
        found = true;
        list[i + 1] = value;
      }
      if (i !== j) {
        list[j] = list[i];
        list[j + 1] = list[i + 1];
      }
      j += 2;
    }
    list.length = j;
    if (!found) ArrayPrototypePush(list, lower, value);
    if (this.#guard === "request-no-cors") noCors().removePrivileged(list);
    this.#sorted = null;
  }

  forEach(callback, thisArg = undefined) {
    this.#list; // brand check first
    if (arguments.length < 1) throw argumentsRequired("forEach", 1, arguments.length);
    if (typeof callback !== "function") {
      throw new $TypeError("Failed to execute 'forEach' on 'Headers': The callback provided as parameter 1 is not a function.");
    }
    // Web IDL: the pairs are recomputed after every callback, so mutations are seen.
    let pairs = sortedOf(this);
    for (let i = 0; i < pairs.length; i += 2) {
      ReflectApply(callback, thisArg, [pairs[i + 1], pairs[i], this]);
      pairs = sortedOf(this);
    }
  }

  entries() {
    this.#list;
    return createIterator(this, 0);
  }

  keys() {
    this.#list;
    return createIterator(this, 1);
  }

  values() {
    this.#list;
    return createIterator(this, 2);
  }

  static {
    createHeaders = (list, guard) => {
      const headers = new Headers(kAdopt);
      headers.#list = list;
      headers.#guard = guard;
      headers.#sorted = null;
      return headers;
    };
    listOf = (headers) => headers.#list;
    setGuard = (headers, guard) => {
      headers.#guard = guard;
    };
    guardOf = (headers) => headers.#guard;
    isHeaders = (value) => value !== null && typeof value === "object" && #list in value;
    appendList = (headers, source) => {
      const list = headers.#list;
      for (let i = 0; i < source.length; i++) ArrayPrototypePush(list, source[i]);
      headers.#sorted = null;
    };
    appendRaw = (headers, lower, value) => {
      ArrayPrototypePush(headers.#list, lower, value);
      headers.#sorted = null;
    };
    // https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine, cached until the
    // next mutation. Names are ASCII, so comparing UTF-16 code units is comparing bytes.
    sortedOf = (headers) => {
      let sorted = headers.#sorted;
      if (sorted !== null) return sorted;
      const list = headers.#list;
      const n = list.length >> 1;
      const order = [];
      for (let i = 0; i < n; i++) order[i] = i << 1;
      ArrayPrototypeSort(order, (a, b) => (list[a] < list[b] ? -1 : list[a] > list[b] ? 1 : a - b));
      sorted = [];
      for (let k = 0; k < n;) {
        const name = list[order[k]];
        let value = list[order[k] + 1];
        k++;
        if (name !== "set-cookie") {
          while (k < n && list[order[k]] === name) {
            value += `, ${list[order[k] + 1]}`;
            k++;
          }
        }
        ArrayPrototypePush(sorted, name, value);
      }
      headers.#sorted = sorted;
      return sorted;
    };
  }
}

HeadersPrototypeEntries = Headers.prototype.entries;
ObjectDefineProperty(Headers.prototype, SymbolIterator, {
  value: HeadersPrototypeEntries, writable: true, enumerable: false, configurable: true,
});

function getCombined(list, lower) {
  let value = null;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === lower) value = value === null ? list[i + 1] : `${value}, ${list[i + 1]}`;
  }
  return value;
}

// https://fetch.spec.whatwg.org/#concept-headers-fill: `object` is
// (sequence<sequence<ByteString>> or record<ByteString, ByteString>), converted per Web IDL
// before anything is appended.
function fill(headers, object) {
  if (object === null || (typeof object !== "object" && typeof object !== "function")) {
    throw new $TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
  }
  const method = object[SymbolIterator];
  if (method === HeadersPrototypeEntries && isHeaders(object)) {
    // Another Headers: its list is already valid; iterating would only combine values.
    const source = listOf(object);
    if (source.length === 0) return;
    if (guardOf(headers) === "immutable") throw new $TypeError("Failed to execute 'append' on 'Headers': Headers are immutable.");
    if (guardOf(headers) === "request-no-cors") {
      for (let i = 0; i < source.length; i += 2) appendNoCors(headers, source[i], source[i + 1]);
      return;
    }
    appendList(headers, source);
    return;
  }
  const pairs = [];
  if (method !== undefined && method !== null) {
    if (typeof method !== "function") throw new $TypeError("Failed to construct 'Headers': The object's @@iterator is not callable.");
    const iterator = ReflectApply(method, object, []);
    if (iterator === null || (typeof iterator !== "object" && typeof iterator !== "function")) {
      throw new $TypeError("Failed to construct 'Headers': @@iterator returned a non-object.");
    }
    const next = iterator.next;
    for (;;) {
      const step = ReflectApply(next, iterator, []);
      if (step === null || (typeof step !== "object" && typeof step !== "function")) {
        throw new $TypeError("Failed to construct 'Headers': iterator result is not an object.");
      }
      if (step.done) break;
      const pair = toByteStringSequence(step.value);
      if (pair.length !== 2) {
        throw new $TypeError(`Failed to construct 'Headers': a header pair must have exactly two items, not ${pair.length}.`);
      }
      ArrayPrototypePush(pairs, pair[0], pair[1]);
    }
  } else {
    // record<ByteString, ByteString>. Object.keys() yields the enumerable own string keys in
    // [[OwnPropertyKeys]] order, like the Web IDL algorithm, and is several times faster than
    // Reflect.ownKeys() + [[GetOwnProperty]] per key (the only difference: a Proxy sees all its
    // getOwnPropertyDescriptor traps before the get traps). Symbol keys come last in that order
    // and an enumerable one is a TypeError.
    const keys = ObjectKeys(object);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      ArrayPrototypePush(pairs, key, `${object[key]}`);
    }
    const symbols = ObjectGetOwnPropertySymbols(object);
    for (let i = 0; i < symbols.length; i++) {
      if (ObjectPropertyIsEnumerable(object, symbols[i])) {
        throw new $TypeError("Failed to construct 'Headers': a header name cannot be a Symbol.");
      }
    }
  }
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = normalizeValue(pairs[i + 1]);
    const lower = checkName(name, "append");
    checkValue(name, value, "append");
    if (guardOf(headers) === "immutable") throw new $TypeError("Failed to execute 'append' on 'Headers': Headers are immutable.");
    if (guardOf(headers) === "request-no-cors") appendNoCors(headers, lower, value);
    else appendRaw(headers, lower, value);
  }
}

// append() under the "request-no-cors" guard, of a valid lower-case name and normalized value.
function appendNoCors(headers, lower, value) {
  const list = listOf(headers);
  const current = getCombined(list, lower);
  if (!noCors().isNoCorsSafelisted(lower, current === null ? value : `${current}, ${value}`)) return;
  appendRaw(headers, lower, value);
  noCors().removePrivileged(list);
}

function toByteStringSequence(value) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    throw new $TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
  }
  const method = value[SymbolIterator];
  if (typeof method !== "function") {
    throw new $TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
  }
  const iterator = ReflectApply(method, value, []);
  if (iterator === null || (typeof iterator !== "object" && typeof iterator !== "function")) {
    throw new $TypeError("Failed to construct 'Headers': @@iterator returned a non-object.");
  }
  const next = iterator.next;
  const out = [];
  for (;;) {
    const step = ReflectApply(next, iterator, []);
    if (step === null || (typeof step !== "object" && typeof step !== "function")) {
      throw new $TypeError("Failed to construct 'Headers': iterator result is not an object.");
    }
    if (step.done) return out;
    ArrayPrototypePush(out, `${step.value}`);
  }
}

// The default iterator (https://webidl.spec.whatwg.org/#es-default-iterator-object): an index
// into the *current* sorted-and-combined list, recomputed on every next(), so it is live.
const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf([][SymbolIterator]()));
let createIterator;

class HeadersIterator {
  #target;
  #kind; // 0 entries, 1 keys, 2 values
  #index;

  next() {
    const target = this.#target;
    const pairs = sortedOf(target);
    const index = this.#index;
    if (index >= pairs.length) return { value: undefined, done: true };
    this.#index = index + 2;
    const kind = this.#kind;
    const value = kind === 0 ? [pairs[index], pairs[index + 1]] : kind === 1 ? pairs[index] : pairs[index + 1];
    return { value, done: false };
  }

  static {
    createIterator = (target, kind) => {
      const it = new HeadersIterator();
      it.#target = target;
      it.#kind = kind;
      it.#index = 0;
      return it;
    };
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
delete HeadersIterator.prototype.constructor;
ObjectDefineProperty(HeadersIterator.prototype, "next", { enumerable: true });
ObjectDefineProperty(HeadersIterator.prototype, Symbol.toStringTag, {
  value: "Headers Iterator", writable: false, enumerable: false, configurable: true,
});

exposeInterface(Headers, "Headers");

registerInspect(Headers, (headers) => {
  const view = ObjectCreate(null);
  const pairs = sortedOf(headers);
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    if (name === "set-cookie" && view[name] !== undefined) {
      const previous = view[name];
      view[name] = typeof previous === "string" ? [previous, pairs[i + 1]] : (ArrayPrototypePush(previous, pairs[i + 1]), previous);
    } else {
      view[name] = pairs[i + 1];
    }
  }
  return view;
});

internal.TOKEN = TOKEN;
internal.isHeaderName = (name) => RegExpPrototypeTest(TOKEN, name);
internal.headersFromFlat = createHeaders;
internal.headersToFlat = listOf;
internal.headersCopyList = (headers) => ArrayPrototypeSlice(listOf(headers));
internal.setHeadersGuard = setGuard;
internal.headersGuard = guardOf;
internal.headersFill = fill;
// Appends a valid lower-case name and normalized value through the guard (the no-cors filter).
internal.headersAppendGuarded = (headers, lower, value) => {
  if (guardOf(headers) === "request-no-cors") appendNoCors(headers, lower, value);
  else appendRaw(headers, lower, value);
};
internal.headersContains = (headers, lower) => {
  const list = listOf(headers);
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === lower) return true;
  }
  return false;
};
internal.headersGet = (headers, lower) => getCombined(listOf(headers), lower);
internal.headersAppendRaw = appendRaw;
internal.isHeaders = isHeaders;
internal.flatListGet = getCombined;
