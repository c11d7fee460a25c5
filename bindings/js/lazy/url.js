// URL and URLSearchParams (https://url.spec.whatwg.org/#api). The parser and the setters are
// ada's (bindings/url.cc: the C++ WHATWG URL parser inside libnode108). A URL is kept as Node keeps
// it: its serialization and the offsets of its components (ada's url_components), so the getters
// are slices of one string and a URL holds no C++ object. URLSearchParams is a list of name/value
// strings here; parsing application/x-www-form-urlencoded is native (native.urlParseForm).
// This module is bundled and hardened (build.mjs, harden.mjs): the built-ins it calls are the
// ones captured before tenant code ran.
// Written against internal.primordials only (captured before tenant code ran), with no method
// call on a built-in, no for...of or spread: harden.mjs then leaves it as it is, and loading it does
// not load the safe-calls runtime into the context (~5 ms and ~0.3 MB for a tenant's first lazy module).
const { exposeInterface, registerInspect } = internal;
const {
  $TypeError, ArrayPrototypeSort, EncodeURIComponent, IteratorPrototype, ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor, ObjectSetPrototypeOf, ReflectApply, ReflectOwnKeys, StringPrototypeCharCodeAt,
  StringPrototypeSlice, SymbolIterator, SymbolToStringTag, $Uint32Array,
} = internal.primordials;
const urlParse = native.urlParse;
const urlCanParse = native.urlCanParse;
const urlUpdate = native.urlUpdate;
const urlParseForm = native.urlParseForm;

// Written by every native call (one at a time): ada's url_components and the scheme type.
const components = new $Uint32Array(9);
const OMITTED = 0xffffffff;
const SCHEME_NOT_SPECIAL = 1;
const SCHEME_FILE = 6;
// UrlPart (bindings/url.h).
const HREF = 0, PROTOCOL = 1, USERNAME = 2, PASSWORD = 3, HOST = 4, HOSTNAME = 5, PORT = 6, PATHNAME = 7,
  SEARCH = 8, HASH = 9;

// https://webidl.spec.whatwg.org/#es-USVString: ToString, then lone surrogates -> U+FFFD.
function toUSVString(value) {
  const text = `${value}`;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c >= 0xd800 && c <= 0xdfff) return fixSurrogates(text, i);
  }
  return text;
}
function fixSurrogates(text, from) {
  let out = StringPrototypeSlice(text, 0, from);
  const length = text.length;
  for (let i = from; i < length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const d = StringPrototypeCharCodeAt(text, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += StringPrototypeSlice(text, i, i + 2);
        i++;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? "\uFFFD" : text[i];
  }
  return out;
}

function requireArguments(count, need, what) {
  if (count < need) {
    throw new $TypeError(`Failed to execute ${what}: ${need} argument${need > 1 ? "s" : ""} required, but only ${count} present.`);
  }
}

let linkSearchParams;  // (url) -> a URLSearchParams whose list is url's query (URLSearchParams's static block)
let reparseSearchParams;  // (params, query) -> the list becomes the parse of `query`
let searchOf;  // (url) -> its search, from its internal state
let setQuery;  // (url, serialized) -> the URL's query, without re-parsing its URLSearchParams

class URL {
  #href = "";
  #protocolEnd = 0;
  #usernameEnd = 0;
  #hostStart = 0;
  #hostEnd = 0;
  #port = OMITTED;
  #pathnameStart = 0;
  #searchStart = OMITTED;
  #hashStart = OMITTED;
  #scheme = 0;
  #searchParams = null;

  constructor(url, base = undefined) {
    requireArguments(arguments.length, 1, "'URL' constructor");
    const input = `${url}`;
    const href = urlParse(components, input, base === undefined ? undefined : `${base}`);
    if (href === undefined) throw new $TypeError(`Invalid URL string: ${input}`);
    this.#adopt(href);
  }

  #adopt(href) {
    this.#href = href;
    this.#protocolEnd = components[0];
    this.#usernameEnd = components[1];
    this.#hostStart = components[2];
    this.#hostEnd = components[3];
    this.#port = components[4];
    this.#pathnameStart = components[5];
    this.#searchStart = components[6];
    this.#hashStart = components[7];
    this.#scheme = components[8];
  }

  // Runs ada's setter of `part`; the query object follows a changed query.
  #update(part, value) {
    const before = this.#searchParams === null ? "" : this.#search();
    const href = urlUpdate(components, this.#href, part, value);
    if (href === undefined) return false;
    this.#adopt(href);
    if (this.#searchParams !== null && part !== SEARCH) {
      const after = this.#search();
      if (after !== before) reparseSearchParams(this.#searchParams, after);
    }
    return true;
  }

  static {
    searchOf = (url) => url.#search();
    setQuery = (url, serialized) => {
      const href = urlUpdate(components, url.#href, SEARCH, serialized);
      if (href !== undefined) url.#adopt(href);
    };
  }

  static canParse(url, base = undefined) {
    requireArguments(arguments.length, 1, "'canParse' on 'URL'");
    return urlCanParse(`${url}`, base === undefined ? undefined : `${base}`);
  }

  static parse(url, base = undefined) {
    requireArguments(arguments.length, 1, "'parse' on 'URL'");
    const input = `${url}`;
    const baseText = base === undefined ? undefined : `${base}`;
    if (!urlCanParse(input, baseText)) return null;
    return new URL(input, baseText);
  }

  get href() { return this.#href; }
  set href(value) {
    const text = `${value}`;
    if (!this.#update(HREF, text)) throw new $TypeError(`Invalid URL string: ${text}`);
  }

  get origin() { return this.#origin(); }

  // The getters' steps, on the internal state only (a tenant may redefine the public accessors).
  #origin() {
    const scheme = this.#scheme;
    if (scheme === SCHEME_FILE) return "null";
    if (scheme !== SCHEME_NOT_SPECIAL) return `${this.#protocol()}//${this.#host()}`;
    // https://url.spec.whatwg.org/#concept-url-origin: a blob: URL's is its path's, if http(s).
    if (this.#protocol() === "blob:") {
      const path = this.#pathname();
      if (urlParse(components, path, undefined) !== undefined && (components[8] === 0 || components[8] === 2)) {
        return new URL(path).#origin();
      }
    }
    return "null";
  }

  get protocol() { return this.#protocol(); }
  #protocol() { return StringPrototypeSlice(this.#href, 0, this.#protocolEnd); }
  set protocol(value) { this.#update(PROTOCOL, `${value}`); }

  get username() {
    const start = this.#protocolEnd + 2;
    return start < this.#usernameEnd ? StringPrototypeSlice(this.#href, start, this.#usernameEnd) : "";
  }
  set username(value) { this.#update(USERNAME, `${value}`); }

  get password() {
    return this.#hostStart > this.#usernameEnd ? StringPrototypeSlice(this.#href, this.#usernameEnd + 1, this.#hostStart) : "";
  }
  set password(value) { this.#update(PASSWORD, `${value}`); }

  get host() { return this.#host(); }
  #host() {
    let start = this.#hostStart;
    if (this.#hostEnd > start && this.#href[start] === "@") start++;
    // An empty host: what lies between it and the path may be the "/." of a path that starts with "//".
    if (start === this.#hostEnd) return "";
    return StringPrototypeSlice(this.#href, start, this.#pathnameStart);
  }
  set host(value) { this.#update(HOST, `${value}`); }

  get hostname() {
    let start = this.#hostStart;
    if (this.#hostEnd > start && this.#href[start] === "@") start++;
    return StringPrototypeSlice(this.#href, start, this.#hostEnd);
  }
  set hostname(value) { this.#update(HOSTNAME, `${value}`); }

  get port() { return this.#port === OMITTED ? "" : `${this.#port}`; }
  set port(value) { this.#update(PORT, `${value}`); }

  get pathname() { return this.#pathname(); }
  #pathname() {
    const end = this.#searchStart !== OMITTED ? this.#searchStart
      : this.#hashStart !== OMITTED ? this.#hashStart : this.#href.length;
    return StringPrototypeSlice(this.#href, this.#pathnameStart, end);
  }
  set pathname(value) { this.#update(PATHNAME, `${value}`); }

  get search() { return this.#search(); }
  #search() {
    if (this.#searchStart === OMITTED) return "";
    const end = this.#hashStart !== OMITTED ? this.#hashStart : this.#href.length;
    return end - this.#searchStart <= 1 ? "" : StringPrototypeSlice(this.#href, this.#searchStart, end);
  }
  set search(value) {
    const text = toUSVString(value);
    this.#update(SEARCH, text);
    // https://url.spec.whatwg.org/#dom-url-search: the list is the parse of the given value.
    if (this.#searchParams !== null) reparseSearchParams(this.#searchParams, text);
  }

  get searchParams() {
    if (this.#searchParams === null) this.#searchParams = linkSearchParams(this);
    return this.#searchParams;
  }

  get hash() {
    if (this.#hashStart === OMITTED || this.#href.length - this.#hashStart <= 1) return "";
    return StringPrototypeSlice(this.#href, this.#hashStart);
  }
  set hash(value) { this.#update(HASH, `${value}`); }

  toString() { return this.#href; }
  toJSON() { return this.#href; }
}

// The application/x-www-form-urlencoded serializer's percent-encoding of one string
// (https://url.spec.whatwg.org/#concept-urlencoded-serializer): ASCII by hand (the form set keeps
// only alphanumerics and *-._, and writes a space as "+"), each run of other code points through
// encodeURIComponent (their UTF-8 bytes, every one percent-encoded; the text is a USVString).
const HEX = "0123456789ABCDEF";
function formSafe(c) {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2a || c === 0x2d || c === 0x2e || c === 0x5f;
}
function formEncode(text) {
  const length = text.length;
  let i = 0;
  while (i < length && formSafe(StringPrototypeCharCodeAt(text, i))) i++;
  if (i === length) return text;
  let out = StringPrototypeSlice(text, 0, i);
  while (i < length) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c < 0x80) {
      out += formSafe(c) ? text[i] : c === 0x20 ? "+" : `%${HEX[c >> 4]}${HEX[c & 15]}`;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < length && StringPrototypeCharCodeAt(text, j) >= 0x80) j++;
    out += EncodeURIComponent(StringPrototypeSlice(text, i, j));
    i = j;
  }
  return out;
}

function parseForm(text) {
  return text === "" ? [] : urlParseForm(text);
}

// Runs a method of an iterator or iterable (https://tc39.es/ecma262/#sec-getiterator) without
// method-call syntax: the values of `iterable` through `method` (already looked up), as a list.
function iterate(iterable, method) {
  const iterator = ReflectApply(method, iterable, []);
  if ((typeof iterator !== "object" || iterator === null) && typeof iterator !== "function") {
    throw new $TypeError("Result of the Symbol.iterator method is not an object");
  }
  const next = iterator.next;
  const out = [];
  for (;;) {
    const result = ReflectApply(next, iterator, []);
    if ((typeof result !== "object" || result === null) && typeof result !== "function") {
      throw new $TypeError(`Iterator result ${result} is not an object`);
    }
    if (result.done) return out;
    out[out.length] = result.value;
  }
}

function isObject(value) {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function byName(a, b) {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

let pairAt;  // (params, index) -> [name, value] | undefined: the live list, for the iterator

// The list: name, value, name, value, ... (USVStrings).
class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = undefined) {
    if (init === undefined) return;
    const list = this.#list;
    if (isObject(init)) {
      const method = init[SymbolIterator];
      if (method !== undefined && method !== null) {
        if (typeof method !== "function") throw new $TypeError("Failed to construct 'URLSearchParams': The object's @@iterator is not callable.");
        const pairs = iterate(init, method);
        for (let i = 0; i < pairs.length; i++) {
          const pair = pairs[i];
          const inner = isObject(pair) ? pair[SymbolIterator] : undefined;
          if (typeof inner !== "function") {
            throw new $TypeError("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.");
          }
          const items = iterate(pair, inner);
          if (items.length !== 2) {
            throw new $TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          }
          list[list.length] = toUSVString(items[0]);
          list[list.length] = toUSVString(items[1]);
        }
        return;
      }
      const keys = ReflectOwnKeys(init);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const desc = ObjectGetOwnPropertyDescriptor(init, key);
        if (desc === undefined || !desc.enumerable) continue;
        const name = toUSVString(key);
        list[list.length] = name;
        list[list.length] = toUSVString(init[key]);
      }
      return;
    }
    const text = toUSVString(init);
    this.#list = parseForm(text[0] === "?" ? StringPrototypeSlice(text, 1) : text);
  }

  static {
    linkSearchParams = (url) => {
      const params = new URLSearchParams();
      params.#url = url;
      const search = searchOf(url);
      params.#list = parseForm(search === "" ? "" : StringPrototypeSlice(search, 1));
      return params;
    };
    reparseSearchParams = (params, query) => {
      params.#list = parseForm(query[0] === "?" ? StringPrototypeSlice(query, 1) : query);
    };
    pairAt = (params, index) => {
      const list = params.#list;
      return index * 2 < list.length ? [list[index * 2], list[index * 2 + 1]] : undefined;
    };
  }

  // https://url.spec.whatwg.org/#concept-urlsearchparams-update
  #updated() {
    if (this.#url !== null) setQuery(this.#url, this.#serialize());
  }

  get size() { return this.#list.length / 2; }

  append(name, value) {
    requireArguments(arguments.length, 2, "'append' on 'URLSearchParams'");
    const list = this.#list;
    const key = toUSVString(name);
    list[list.length] = key;
    list[list.length] = toUSVString(value);
    this.#updated();
  }

  delete(name, value = undefined) {
    requireArguments(arguments.length, 1, "'delete' on 'URLSearchParams'");
    const key = toUSVString(name);
    const match = value === undefined ? undefined : toUSVString(value);
    const list = this.#list;
    const kept = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === key && (match === undefined || list[i + 1] === match)) continue;
      kept[kept.length] = list[i];
      kept[kept.length] = list[i + 1];
    }
    this.#list = kept;
    this.#updated();
  }

  get(name) {
    requireArguments(arguments.length, 1, "'get' on 'URLSearchParams'");
    const key = toUSVString(name);
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) return list[i + 1];
    return null;
  }

  getAll(name) {
    requireArguments(arguments.length, 1, "'getAll' on 'URLSearchParams'");
    const key = toUSVString(name);
    const list = this.#list;
    const out = [];
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) out[out.length] = list[i + 1];
    return out;
  }

  has(name, value = undefined) {
    requireArguments(arguments.length, 1, "'has' on 'URLSearchParams'");
    const key = toUSVString(name);
    const match = value === undefined ? undefined : toUSVString(value);
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === key && (match === undefined || list[i + 1] === match)) return true;
    }
    return false;
  }

  set(name, value) {
    requireArguments(arguments.length, 2, "'set' on 'URLSearchParams'");
    const key = toUSVString(name);
    const text = toUSVString(value);
    const list = this.#list;
    const out = [];
    let found = false;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== key) {
        out[out.length] = list[i];
        out[out.length] = list[i + 1];
      } else if (!found) {
        found = true;
        out[out.length] = key;
        out[out.length] = text;
      }
    }
    if (!found) {
      out[out.length] = key;
      out[out.length] = text;
    }
    this.#list = out;
    this.#updated();
  }

  // Stable (Array.prototype.sort is), by code units of the names.
  sort() {
    const list = this.#list;
    const pairs = [];
    for (let i = 0; i < list.length; i += 2) pairs[pairs.length] = [list[i], list[i + 1]];
    ArrayPrototypeSort(pairs, byName);
    const out = [];
    for (let i = 0; i < pairs.length; i++) {
      out[out.length] = pairs[i][0];
      out[out.length] = pairs[i][1];
    }
    this.#list = out;
    this.#updated();
  }

  toString() { return this.#serialize(); }

  #serialize() {
    const list = this.#list;
    let out = "";
    for (let i = 0; i < list.length; i += 2) {
      if (i > 0) out += "&";
      out += `${formEncode(list[i])}=${formEncode(list[i + 1])}`;
    }
    return out;
  }

  forEach(callback, thisArg = undefined) {
    requireArguments(arguments.length, 1, "'forEach' on 'URLSearchParams'");
    if (typeof callback !== "function") {
      throw new $TypeError("Failed to execute 'forEach' on 'URLSearchParams': The callback provided as parameter 1 is not a function.");
    }
    for (let i = 0; i < this.#list.length; i += 2) {
      ReflectApply(callback, thisArg, [this.#list[i + 1], this.#list[i], this]);
    }
  }

  entries() { return new URLSearchParamsIterator(this, 2); }
  keys() { return new URLSearchParamsIterator(this, 0); }
  values() { return new URLSearchParamsIterator(this, 1); }
}

// https://webidl.spec.whatwg.org/#es-iterator-prototype-object: "URLSearchParams Iterator".
class URLSearchParamsIterator {
  #params;
  #kind;
  #index = 0;

  constructor(params, kind) {
    this.#params = params;
    this.#kind = kind;
  }

  next() {
    if (this.#params === undefined) return { value: undefined, done: true };
    const pair = pairAt(this.#params, this.#index);
    if (pair === undefined) {
      this.#params = undefined;
      return { value: undefined, done: true };
    }
    this.#index++;
    return { value: this.#kind === 2 ? pair : pair[this.#kind], done: false };
  }
}

const iteratorProto = URLSearchParamsIterator.prototype;
ObjectSetPrototypeOf(iteratorProto, IteratorPrototype);
ObjectDefineProperty(iteratorProto, "next", { __proto__: null, enumerable: true });
ObjectDefineProperty(iteratorProto, SymbolToStringTag, {
  __proto__: null, value: "URLSearchParams Iterator", writable: false, enumerable: false, configurable: true,
});
ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
  __proto__: null, value: URLSearchParams.prototype.entries, writable: true, enumerable: false, configurable: true,
});

// esbuild may rename a class that refers to itself (URL -> _URL) when keepNames is off.
ObjectDefineProperty(URL, "name", { __proto__: null, value: "URL" });
ObjectDefineProperty(URLSearchParams, "name", { __proto__: null, value: "URLSearchParams" });
exposeInterface(URL, "URL", false);
exposeInterface(URLSearchParams, "URLSearchParams", false);
registerInspect(URL, (url) => ({
  href: url.href, origin: url.origin, protocol: url.protocol, username: url.username, password: url.password,
  host: url.host, hostname: url.hostname, port: url.port, pathname: url.pathname, search: url.search,
  searchParams: url.searchParams, hash: url.hash,
}));
registerInspect(URLSearchParams, (params) => {
  const view = {};
  for (let i = 0; ; i++) {
    const pair = pairAt(params, i);
    if (pair === undefined) return view;
    view[pair[0]] = pair[1];
  }
});

module.exports = { URL, URLSearchParams };
