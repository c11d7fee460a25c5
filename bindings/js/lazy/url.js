// URL and URLSearchParams (https://url.spec.whatwg.org/#api). The parser and the setters are
// ada's (bindings/url.cc: the C++ WHATWG URL parser inside libnode108). A URL is kept as Node keeps
// it: its serialization and the offsets of its components (ada's url_components), so the getters
// are slices of one string and a URL holds no C++ object. URLSearchParams is a list of name/value
// strings here; parsing application/x-www-form-urlencoded is native (native.urlParseForm).
// This module is bundled and hardened (build.mjs, harden.mjs): the built-ins it calls are the
// ones captured before tenant code ran.
const { exposeInterface, registerInspect } = internal;
const urlParse = native.urlParse;
const urlCanParse = native.urlCanParse;
const urlUpdate = native.urlUpdate;
const urlParseForm = native.urlParseForm;
const $TypeError = TypeError;
const $Symbol = Symbol;
const SymbolIterator = Symbol.iterator;
const ReflectOwnKeys = Reflect.ownKeys;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectDefineProperty = Object.defineProperty;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const $encodeURIComponent = encodeURIComponent;

// Written by every native call (one at a time): ada's url_components and the scheme type.
const components = new Uint32Array(9);
const OMITTED = 0xffffffff;
const SCHEME_NOT_SPECIAL = 1;
const SCHEME_FILE = 6;
// UrlPart (bindings/url.h).
const HREF = 0, PROTOCOL = 1, USERNAME = 2, PASSWORD = 3, HOST = 4, HOSTNAME = 5, PORT = 6, PATHNAME = 7,
  SEARCH = 8, HASH = 9;

// https://webidl.spec.whatwg.org/#es-USVString: ToString, then lone surrogates -> U+FFFD.
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
function toUSVString(value) {
  const text = `${value}`;
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, "\uFFFD") : text;
}

function requireArguments(count, need, what) {
  if (count < need) {
    throw new $TypeError(`Failed to execute ${what}: ${need} argument${need > 1 ? "s" : ""} required, but only ${count} present.`);
  }
}

let linkSearchParams;  // (url) -> a URLSearchParams whose list is url's query (URLSearchParams's static block)
let reparseSearchParams;  // (params, query) -> the list becomes the parse of `query`
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
    const before = this.#searchParams === null ? "" : this.search;
    const href = urlUpdate(components, this.#href, part, value);
    if (href === undefined) return false;
    this.#adopt(href);
    if (this.#searchParams !== null && part !== SEARCH) {
      const after = this.search;
      if (after !== before) reparseSearchParams(this.#searchParams, after);
    }
    return true;
  }

  static {
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

  get origin() {
    const scheme = this.#scheme;
    if (scheme === SCHEME_FILE) return "null";
    if (scheme !== SCHEME_NOT_SPECIAL) return `${this.protocol}//${this.host}`;
    // https://url.spec.whatwg.org/#concept-url-origin: a blob: URL's is its path's, if http(s).
    if (this.protocol === "blob:") {
      const path = this.pathname;
      if (urlParse(components, path, undefined) !== undefined && (components[8] === 0 || components[8] === 2)) {
        const inner = new URL(path);
        return `${inner.protocol}//${inner.host}`;
      }
    }
    return "null";
  }

  get protocol() { return this.#href.slice(0, this.#protocolEnd); }
  set protocol(value) { this.#update(PROTOCOL, `${value}`); }

  get username() {
    const start = this.#protocolEnd + 2;
    return start < this.#usernameEnd ? this.#href.slice(start, this.#usernameEnd) : "";
  }
  set username(value) { this.#update(USERNAME, `${value}`); }

  get password() {
    return this.#hostStart > this.#usernameEnd ? this.#href.slice(this.#usernameEnd + 1, this.#hostStart) : "";
  }
  set password(value) { this.#update(PASSWORD, `${value}`); }

  get host() {
    let start = this.#hostStart;
    if (this.#hostEnd > start && this.#href[start] === "@") start++;
    // An empty host: what lies between it and the path may be the "/." of a path that starts with "//".
    if (start === this.#hostEnd) return "";
    return this.#href.slice(start, this.#pathnameStart);
  }
  set host(value) { this.#update(HOST, `${value}`); }

  get hostname() {
    let start = this.#hostStart;
    if (this.#hostEnd > start && this.#href[start] === "@") start++;
    return this.#href.slice(start, this.#hostEnd);
  }
  set hostname(value) { this.#update(HOSTNAME, `${value}`); }

  get port() { return this.#port === OMITTED ? "" : `${this.#port}`; }
  set port(value) { this.#update(PORT, `${value}`); }

  get pathname() {
    const end = this.#searchStart !== OMITTED ? this.#searchStart
      : this.#hashStart !== OMITTED ? this.#hashStart : this.#href.length;
    return this.#href.slice(this.#pathnameStart, end);
  }
  set pathname(value) { this.#update(PATHNAME, `${value}`); }

  get search() {
    if (this.#searchStart === OMITTED) return "";
    const end = this.#hashStart !== OMITTED ? this.#hashStart : this.#href.length;
    return end - this.#searchStart <= 1 ? "" : this.#href.slice(this.#searchStart, end);
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
    return this.#href.slice(this.#hashStart);
  }
  set hash(value) { this.#update(HASH, `${value}`); }

  toString() { return this.#href; }
  toJSON() { return this.#href; }
}

// The application/x-www-form-urlencoded serializer's percent-encoding of one string
// (https://url.spec.whatwg.org/#concept-urlencoded-serializer): encodeURIComponent leaves
// !'()~ as they are, which the form set encodes, and writes a space as %20 where the form has "+".
const FORM_SAFE = /^[A-Za-z0-9*\-._]*$/;
const FORM_EXTRA = /[!'()~]/g;
const SPACE = /%20/g;
function formExtra(c) {
  return c === "!" ? "%21" : c === "'" ? "%27" : c === "(" ? "%28" : c === ")" ? "%29" : "%7E";
}
function formEncode(text) {
  if (FORM_SAFE.test(text)) return text;
  return $encodeURIComponent(text).replace(SPACE, "+").replace(FORM_EXTRA, formExtra);
}

function parseForm(text) {
  return text === "" ? [] : urlParseForm(text);
}

// The list: name, value, name, value, ... (USVStrings).
class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = undefined) {
    if (init === undefined) return;
    if ((typeof init === "object" && init !== null) || typeof init === "function") {
      const method = init[SymbolIterator];
      if (method !== undefined && method !== null) {
        if (typeof method !== "function") throw new $TypeError("Failed to construct 'URLSearchParams': The object's @@iterator is not callable.");
        for (const pair of init) {
          if ((typeof pair !== "object" || pair === null) && typeof pair !== "function") {
            throw new $TypeError("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.");
          }
          const items = [...pair];
          if (items.length !== 2) {
            throw new $TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          }
          this.#list.push(toUSVString(items[0]), toUSVString(items[1]));
        }
        return;
      }
      const keys = ReflectOwnKeys(init);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const desc = ObjectGetOwnPropertyDescriptor(init, key);
        if (desc === undefined || !desc.enumerable) continue;
        this.#list.push(toUSVString(key), toUSVString(init[key]));
      }
      return;
    }
    let text = toUSVString(init);
    if (text[0] === "?") text = text.slice(1);
    this.#list = parseForm(text);
  }

  static {
    linkSearchParams = (url) => {
      const params = new URLSearchParams();
      params.#url = url;
      const search = url.search;
      params.#list = parseForm(search === "" ? "" : search.slice(1));
      return params;
    };
    reparseSearchParams = (params, query) => {
      params.#list = parseForm(query[0] === "?" ? query.slice(1) : query);
    };
  }

  // https://url.spec.whatwg.org/#concept-urlsearchparams-update
  #updated() {
    if (this.#url !== null) setQuery(this.#url, this.toString());
  }

  get size() { return this.#list.length / 2; }

  append(name, value) {
    requireArguments(arguments.length, 2, "'append' on 'URLSearchParams'");
    this.#list.push(toUSVString(name), toUSVString(value));
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
      kept.push(list[i], list[i + 1]);
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
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) out.push(list[i + 1]);
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
        out.push(list[i], list[i + 1]);
      } else if (!found) {
        found = true;
        out.push(key, text);
      }
    }
    if (!found) out.push(key, text);
    this.#list = out;
    this.#updated();
  }

  // Stable, by code units of the names.
  sort() {
    const list = this.#list;
    const pairs = [];
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out = [];
    for (let i = 0; i < pairs.length; i++) out.push(pairs[i][0], pairs[i][1]);
    this.#list = out;
    this.#updated();
  }

  toString() {
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
      callback.call(thisArg, this.#list[i + 1], this.#list[i], this);
    }
  }

  entries() { return new URLSearchParamsIterator(this, 2); }
  keys() { return new URLSearchParamsIterator(this, 0); }
  values() { return new URLSearchParamsIterator(this, 1); }

  static {
    // The iterator reads the live list, as Web IDL's pair iterators do.
    pairAt = (params, index) => {
      const list = params.#list;
      return index * 2 < list.length ? [list[index * 2], list[index * 2 + 1]] : undefined;
    };
  }
}
let pairAt;

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
ObjectSetPrototypeOf(iteratorProto, ObjectGetPrototypeOf(ObjectGetPrototypeOf(new Map().entries())));
ObjectDefineProperty(iteratorProto, "next", { enumerable: true });
ObjectDefineProperty(iteratorProto, $Symbol.toStringTag, {
  value: "URLSearchParams Iterator", writable: false, enumerable: false, configurable: true,
});
ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
  value: URLSearchParams.prototype.entries, writable: true, enumerable: false, configurable: true,
});

exposeInterface(URL, "URL", false);
exposeInterface(URLSearchParams, "URLSearchParams", false);
registerInspect(URL, (url) => ({
  href: url.href, origin: url.origin, protocol: url.protocol, username: url.username, password: url.password,
  host: url.host, hostname: url.hostname, port: url.port, pathname: url.pathname, search: url.search,
  searchParams: url.searchParams, hash: url.hash,
}));
registerInspect(URLSearchParams, (params) => {
  const view = {};
  params.forEach((value, name) => { view[name] = value; });
  return view;
});

export { URL, URLSearchParams };
