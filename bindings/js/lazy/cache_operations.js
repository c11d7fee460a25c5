// The Cache API of Cloudflare Workers (https://developers.cloudflare.com/workers/runtime-apis/cache/):
// what Cache's match, put and delete do, for the classes of cache.js (the `caches` global,
// CacheStorage, Cache), which load this module on the first call: a library that only checks
// `globalThis.caches` at its top level (hono/cache does) does not load it. The natives (bindings/cache_api.h) keep opaque entries in a SQLite store shared by
// the server's worker processes, partitioned by tenant and capped at its cache_mb (LRU). The HTTP
// semantics are here: put refuses non-GET requests, 206 and `Vary: *` (TypeError) and does not
// store Set-Cookie, no-store, private or no-cache responses; freshness is s-maxage, else max-age,
// else Expires, else Cloudflare's default edge TTL by status; Vary is matched on the stored
// request header values; match answers 304 to If-None-Match / If-Modified-Since, 206 to one byte
// range, and adds `CF-Cache-Status: HIT`.
const $TypeError = TypeError;
const $String = String;
const $Promise = Promise;
const $Uint8Array = Uint8Array;
const $URL = URL;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const DateParse = Date.parse;
const DateNow = Date.now;
const { isRequest, isResponse, headersToFlat, flatListGet } = internal;
const nativeGet = native.cacheGet;
const nativePut = native.cachePut;
const nativeDelete = native.cacheDelete;
const maxEntryBytes = native.cacheMaxEntryBytes();

// Cloudflare's default edge TTL when a response says nothing (seconds), by status.
const DEFAULT_TTL = { 200: 7200, 203: 7200, 206: 7200, 300: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180 };

function toRequest(request) {
  if (isRequest(request)) return request;
  return new internal.Request(request instanceof $URL ? request.href : $String(request));
}

function headerOf(message, lower) {
  return flatListGet(headersToFlat(message.headers), lower);
}

// Cache-Control directives: lower-case name -> value (true when it has none).
function parseCacheControl(value) {
  const directives = {};
  if (value === null) return directives;
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === "") continue;
    let arg = eq < 0 ? true : part.slice(eq + 1).trim();
    if (typeof arg === "string" && arg.startsWith('"') && arg.endsWith('"')) arg = arg.slice(1, -1);
    directives[name] = arg;
  }
  return directives;
}

function seconds(value) {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return -1;
  return Number(value);
}

// How long the response may be served (ms), or 0: not stored.
function freshnessMs(response, now) {
  const cc = parseCacheControl(headerOf(response, "cache-control"));
  if (cc["no-store"] !== undefined || cc["no-cache"] !== undefined) return 0;
  if (cc["private"] === true) return 0;
  let ttl = seconds(cc["s-maxage"]);
  if (ttl < 0) ttl = seconds(cc["max-age"]);
  if (ttl >= 0) return ttl * 1000;
  const expires = headerOf(response, "expires");
  if (expires !== null) {
    const at = DateParse(expires);
    if (at !== at) return 0;  // an invalid Expires means already expired
    const date = headerOf(response, "date");
    const base = date !== null && DateParse(date) === DateParse(date) ? DateParse(date) : now;
    return at > base ? at - base : 0;
  }
  const fallback = DEFAULT_TTL[response.status];
  return fallback === undefined ? 0 : fallback * 1000;
}

// The body's bytes, or null when it is over maxEntryBytes (then the rest is cancelled, unread: an
// endless stream ends the put rather than filling the isolate).
async function readBounded(response) {
  const body = response.body;
  if (body === null) return new $Uint8Array(0);
  const reader = body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxEntryBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new $Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function keyOf(name, request) {
  const url = request.url;
  const hash = url.indexOf("#");
  return `${name}\u0000${hash < 0 ? url : url.slice(0, hash)}`;
}

// Weak comparison of an entity tag against an If-None-Match list.
function etagMatches(etag, list) {
  if (list.trim() === "*") return true;
  const bare = (tag) => tag.trim().replace(/^W\//, "");
  const mine = bare(etag);
  for (const tag of list.split(",")) if (bare(tag) === mine) return true;
  return false;
}

// [start, end] (inclusive) of a single "bytes=" range of `size` bytes; null: not one range
// (answered with the whole body); "unsatisfiable": 416.
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === "" && m[2] === "")) return null;
  let start;
  let end;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = size > suffix ? size - suffix : 0;
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Number(m[2]);
    if (end >= size) end = size - 1;
    if (start >= size || end < start) return "unsatisfiable";
  }
  return [start, end];
}

function answer(status, statusText, headers, body) {
  headers.push(["cf-cache-status", "HIT"]);
  return new internal.Response(body, { status, statusText, headers });
}

// Cache.prototype.match: the response stored for `request` in cache `name`, or undefined.
function match(name, request, options = undefined) {
  request = toRequest(request);
  if (request.method !== "GET" && !options?.ignoreMethod) return undefined;
  const found = nativeGet(keyOf(name, request));
  if (found === null) return undefined;
  const meta = JSONParse(found[0]);
  const requestHeaders = headersToFlat(request.headers);
  for (const header in meta.v) {
    if (flatListGet(requestHeaders, header) !== meta.v[header]) return undefined;
  }
  const headers = meta.h.slice();
  const etag = flatListGet(meta.f, "etag");
  const lastModified = flatListGet(meta.f, "last-modified");
  const ifNoneMatch = flatListGet(requestHeaders, "if-none-match");
  const ifModifiedSince = flatListGet(requestHeaders, "if-modified-since");
  let notModified = false;
  if (ifNoneMatch !== null) {
    notModified = etag !== null && etagMatches(etag, ifNoneMatch);
  } else if (ifModifiedSince !== null && lastModified !== null) {
    const since = DateParse(ifModifiedSince);
    const modified = DateParse(lastModified);
    notModified = since === since && modified === modified && modified <= since;
  }
  if (notModified && meta.s === 200) {
    return answer(304, "Not Modified", headers.filter(([n]) => n !== "content-length" && n !== "content-type"), null);
  }
  const body = new $Uint8Array(found[1]);
  const range = flatListGet(requestHeaders, "range");
  if (range !== null && meta.s === 200) {
    const span = parseRange(range, body.length);
    const rest = headers.filter(([n]) => n !== "content-length");
    if (span === "unsatisfiable") {
      rest.push(["content-range", `bytes */${body.length}`]);
      return answer(416, "Range Not Satisfiable", rest, null);
    }
    if (span !== null) {
      rest.push(["content-range", `bytes ${span[0]}-${span[1]}/${body.length}`]);
      return answer(206, "Partial Content", rest, body.subarray(span[0], span[1] + 1));
    }
  }
  return answer(meta.s, meta.t, headers, meta.s === 204 || meta.s === 304 ? null : body);
}

// Cache.prototype.put into cache `name`.
async function put(name, request, response) {
  request = toRequest(request);
  if (!isResponse(response)) throw new $TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
  if (request.method !== "GET") throw new $TypeError("Cannot cache response to non-GET request.");
  if (response.status === 206) throw new $TypeError("Cannot cache response to a range request (206 Partial Content).");
  const vary = headerOf(response, "vary");
  if (vary !== null && vary.split(",").some((v) => v.trim() === "*")) {
    throw new $TypeError("Cannot cache response with 'Vary: *' header.");
  }
  if (response.bodyUsed) throw new $TypeError("Cannot cache a Response whose body was already used.");
  // The body is read in full whether or not the response is stored, as Workers does, up to
  // the per-entry limit.
  const body = await readBounded(response);
  const now = DateNow();
  if (body === null || headerOf(response, "set-cookie") !== null) return undefined;
  const ttl = freshnessMs(response, now);
  if (ttl <= 0) return undefined;
  const flat = headersToFlat(response.headers);
  const headers = [];
  for (let i = 0; i < flat.length; i += 2) headers.push([flat[i], flat[i + 1]]);
  const varying = {};
  if (vary !== null) {
    const requestHeaders = headersToFlat(request.headers);
    for (const part of vary.split(",")) {
      const lower = part.trim().toLowerCase();
      if (lower !== "") varying[lower] = flatListGet(requestHeaders, lower);
    }
  }
  const meta = JSONStringify({ s: response.status, t: response.statusText, h: headers, v: varying, f: flat });
  nativePut(keyOf(name, request), meta, body, now + ttl);
  return undefined;
}

// Cache.prototype.delete from cache `name`: whether there was an entry.
function deleteEntry(name, request, options = undefined) {
  request = toRequest(request);
  if (request.method !== "GET" && !options?.ignoreMethod) return false;
  return nativeDelete(keyOf(name, request));
}

export { match, put, deleteEntry };
