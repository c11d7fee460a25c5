// R2's objects and options as a Worker sees them
// (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/): R2Object,
// R2ObjectBody, R2Checksums and R2Error, and the checks of what a call is given (keys, onlyIf,
// range, httpMetadata, customMetadata, checksums), each made into the plain values the bucket's
// engine (r2/engine.js) takes. Messages and codes as R2's ("put: ... (10012)").
const $TypeError = TypeError;
const $RangeError = RangeError;
const $Error = Error;
const $String = String;
const $Number = Number;
const $Date = Date;
const $Uint8Array = Uint8Array;
const $ArrayBuffer = ArrayBuffer;
const NumberIsInteger = Number.isInteger;
const ArrayIsArray = Array.isArray;
const ObjectKeys = Object.keys;
const JSONParse = JSON.parse;
const { utf8Encode, utf8Decode } = native;
const { isHeaders, headersGet } = internal;

export const MAX_KEY_BYTES = 1024;
export const MAX_CUSTOM_METADATA_BYTES = 2048;
export const STORAGE_CLASSES = ["Standard", "InfrequentAccess"];
export const kToken = Symbol("r2");

// R2's errors: the message ends with the code, as in R2 ("put: <what> (10012)").
export class R2Error extends $Error {
  constructor(action, code, message) {
    super(`${action}: ${message} (${code})`);
    this.name = "R2Error";
    this.code = code;
    this.action = action;
  }
}

// What the engine answers for a failure it found ({ error: [code, message] }), as R2's error.
export function engineError(action, [code, message]) {
  return new R2Error(action, code, message);
}

export function hexOf(bytes) {
  const view = new $Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += (view[i] < 16 ? "0" : "") + view[i].toString(16);
  return out;
}

function bytesOfHex(hex) {
  const out = new $Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out.buffer;
}

// A key as R2 takes it: a string (a number is written out), at most 1024 bytes of UTF-8.
export function checkKey(action, key) {
  if (typeof key === "number") key = $String(key);
  if (typeof key !== "string") {
    throw new $TypeError(`${action}: the key must be a string, not ${key === null ? "null" : typeof key}`);
  }
  const bytes = utf8Encode(key).byteLength;
  if (bytes > MAX_KEY_BYTES) {
    throw new R2Error(action, 10020, `The specified object name is not valid: the key is ${bytes} bytes, at most ${MAX_KEY_BYTES}.`);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Options

function dateOf(action, value, what) {
  const date = value instanceof $Date ? value : new $Date(value);
  const ms = date.getTime();
  if (ms !== ms) throw new $TypeError(`${action}: ${what} must be a Date`);
  return ms;
}

function quoted(etag) { return etag.length >= 2 && etag[0] === "\"" && etag[etag.length - 1] === "\""; }

// An If-Match / If-None-Match header's etags: "*" or quoted (W/ weak) values, comma separated.
function etagsOfHeader(action, text) {
  const out = [];
  const re = /\s*(?:(\*)|(W\/)?"([^"]*)")\s*(?:,|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new $Error(`${action}: Invalid conditional header: ${text}`);
    if (m[1] !== undefined) return ["*"];
    out.push(m[3]);
    at = re.lastIndex;
  }
  return out;
}

function etagOption(action, value) {
  if (value === undefined) return undefined;
  value = $String(value);
  if (quoted(value)) throw new $TypeError(`${action}: Conditional ETag should not be wrapped in quotes (${value}).`);
  return [value];
}

// onlyIf (an R2Conditional or a Headers) as { etagMatches, etagDoesNotMatch: [etags] or
// undefined, uploadedBefore, uploadedAfter: ms or undefined, seconds: whether dates compare
// in whole seconds (HTTP dates) }.
export function conditionalOf(action, onlyIf) {
  if (onlyIf === undefined || onlyIf === null) return undefined;
  if (isHeaders(onlyIf)) {
    const header = (name) => headersGet(onlyIf, name) ?? undefined;
    const since = header("if-modified-since"), unmodified = header("if-unmodified-since");
    const match = header("if-match"), noneMatch = header("if-none-match");
    return {
      etagMatches: match === undefined ? undefined : etagsOfHeader(action, match),
      etagDoesNotMatch: noneMatch === undefined ? undefined : etagsOfHeader(action, noneMatch),
      uploadedAfter: since === undefined ? undefined : dateOf(action, since, "If-Modified-Since"),
      uploadedBefore: unmodified === undefined ? undefined : dateOf(action, unmodified, "If-Unmodified-Since"),
      seconds: true,
    };
  }
  if (typeof onlyIf !== "object") throw new $TypeError(`${action}: onlyIf must be an R2Conditional or a Headers`);
  return {
    etagMatches: etagOption(action, onlyIf.etagMatches),
    etagDoesNotMatch: etagOption(action, onlyIf.etagDoesNotMatch),
    uploadedBefore: onlyIf.uploadedBefore === undefined ? undefined : dateOf(action, onlyIf.uploadedBefore, "uploadedBefore"),
    uploadedAfter: onlyIf.uploadedAfter === undefined ? undefined : dateOf(action, onlyIf.uploadedAfter, "uploadedAfter"),
    seconds: onlyIf.secondsGranularity === true,
  };
}

function wholeNumber(what, value) {
  const n = $Number(value);
  if (!(n >= 0)) throw new $RangeError(`Invalid range. ${what} (${value}) must be greater than or equal to 0.`);
  if (!NumberIsInteger(n)) throw new $RangeError(`Invalid range. ${what} (${value}) must be an integer, not floating point.`);
  return n;
}

// range ({offset, length}, {offset}, {length}, {suffix} or a Headers with Range) as
// { offset, length, suffix } (each a number or undefined), or undefined for the whole object.
export function rangeOf(action, range) {
  if (range === undefined || range === null) return undefined;
  if (isHeaders(range)) {
    const text = headersGet(range, "range");
    if (text === null) return undefined;
    const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(text);
    if (m === null || (m[1] === "" && m[2] === "")) throw new R2Error(action, 10039, `The requested range is not satisfiable: ${text}`);
    if (m[1] === "") return { suffix: $Number(m[2]) };
    const offset = $Number(m[1]);
    if (m[2] === "") return { offset };
    const last = $Number(m[2]);
    if (last < offset) throw new R2Error(action, 10039, `The requested range is not satisfiable: ${text}`);
    return { offset, length: last - offset + 1 };
  }
  if (typeof range !== "object") throw new $TypeError(`${action}: range must be an R2Range or a Headers`);
  const out = {};
  if (range.offset !== undefined) out.offset = wholeNumber("Starting offset", range.offset);
  if (range.length !== undefined) out.length = wholeNumber("Length", range.length);
  if (range.suffix !== undefined) {
    if (out.offset !== undefined) throw new $TypeError("Suffix is incompatible with offset.");
    if (out.length !== undefined) throw new $TypeError("Suffix is incompatible with length.");
    out.suffix = wholeNumber("Suffix", range.suffix);
  }
  return out;
}

const HTTP_FIELDS = ["contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl"];
const HTTP_HEADERS = ["content-type", "content-language", "content-disposition", "content-encoding", "cache-control"];

// httpMetadata (an object or a Headers) as stored: its fields as strings, cacheExpiry in ms.
export function httpMetadataOf(action, value) {
  const out = {};
  if (value === undefined || value === null) return out;
  if (isHeaders(value)) {
    for (let i = 0; i < HTTP_FIELDS.length; i++) {
      const v = headersGet(value, HTTP_HEADERS[i]);
      if (v !== null) out[HTTP_FIELDS[i]] = v;
    }
    const expires = headersGet(value, "expires");
    if (expires !== null) out.cacheExpiry = dateOf(action, expires, "Expires");
    return out;
  }
  if (typeof value !== "object") throw new $TypeError(`${action}: httpMetadata must be an R2HTTPMetadata or a Headers`);
  for (const field of HTTP_FIELDS) {
    if (value[field] !== undefined) out[field] = $String(value[field]);
  }
  if (value.cacheExpiry !== undefined) out.cacheExpiry = dateOf(action, value.cacheExpiry, "cacheExpiry");
  return out;
}

// customMetadata: string values, at most 2 KB of keys and values together.
export function customMetadataOf(action, value) {
  const out = {};
  if (value === undefined || value === null) return out;
  if (typeof value !== "object") throw new $TypeError(`${action}: customMetadata must be an object of strings`);
  let bytes = 0;
  for (const key of ObjectKeys(value)) {
    const v = $String(value[key]);
    out[key] = v;
    bytes += utf8Encode(key).byteLength + utf8Encode(v).byteLength;
  }
  if (bytes > MAX_CUSTOM_METADATA_BYTES) {
    throw new R2Error(action, 10012, "Your metadata headers exceed the maximum allowed metadata size.");
  }
  return out;
}

export function storageClassOf(action, value) {
  if (value === undefined) return "Standard";
  if (!STORAGE_CLASSES.includes(value)) throw new R2Error(action, 10040, `The storage class you specified is not valid: ${$String(value)}.`);
  return value;
}

const HASHES = [["md5", "MD5", 16], ["sha1", "SHA-1", 20], ["sha256", "SHA-256", 32], ["sha384", "SHA-384", 48], ["sha512", "SHA-512", 64]];

// The one checksum a put may carry ({ name, algorithm, hex }), or undefined.
export function checksumOf(options) {
  let out;
  for (const [name, algorithm, size] of HASHES) {
    const value = options[name];
    if (value === undefined) continue;
    if (out !== undefined) throw new $TypeError("You cannot specify multiple hashing algorithms.");
    let hex;
    if (typeof value === "string") {
      if (value.length !== size * 2) throw new $TypeError(`${algorithm} is ${size * 2} hex characters, not ${value.length}`);
      if (!/^[0-9a-fA-F]*$/.test(value)) throw new $TypeError(`Provided ${algorithm} wasn't a valid hex string`);
      hex = value.toLowerCase();
    } else if (value instanceof $ArrayBuffer || $ArrayBuffer.isView(value)) {
      const bytes = value instanceof $ArrayBuffer ? value : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
      if (bytes.byteLength !== size) throw new $TypeError(`${algorithm} is ${size} bytes, not ${bytes.byteLength}`);
      hex = hexOf(bytes);
    } else {
      throw new $TypeError(`${algorithm} must be a hex string, an ArrayBuffer or a view of one`);
    }
    out = { name, algorithm, hex };
  }
  return out;
}

export function includeOf(include) {
  const out = { http: false, custom: false };
  if (include === undefined) return out;
  if (!ArrayIsArray(include)) throw new $TypeError("list: include must be an array");
  for (const field of include) {
    if (field === "httpMetadata") out.http = true;
    else if (field === "customMetadata") out.custom = true;
    else throw new $RangeError(`Unsupported include value ${$String(field)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Objects

// An object's checksums: the MD5 of a single put's body and the hash the put was given, as
// ArrayBuffers; toJSON() as hex.
class R2Checksums {
  constructor(token, hexes) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    for (const [name] of HASHES) {
      if (hexes[name] !== undefined) this[name] = bytesOfHex(hexes[name]);
    }
  }
  toJSON() {
    const out = {};
    for (const [name] of HASHES) if (this[name] !== undefined) out[name] = hexOf(this[name]);
    return out;
  }
}

function httpMetadataFromStored(stored) {
  const out = {};
  for (const field of HTTP_FIELDS) if (stored[field] !== undefined) out[field] = stored[field];
  if (stored.cacheExpiry !== undefined) out.cacheExpiry = new $Date(stored.cacheExpiry);
  return out;
}

// An object's metadata (head(), put(), list(); get() when onlyIf failed). `meta` is the
// engine's row ({key, version, size, etag, uploaded, http, custom, checksums, storageClass});
// `include` says which of the two metadata a list() asked for (both elsewhere).
class R2Object {
  constructor(token, meta, include = undefined, range = undefined) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.key = meta.key;
    this.version = meta.version;
    this.size = meta.size;
    this.etag = meta.etag;
    this.httpEtag = `"${meta.etag}"`;
    this.checksums = new R2Checksums(kToken, JSONParse(meta.checksums));
    this.uploaded = new $Date(meta.uploaded);
    this.httpMetadata = include === undefined || include.http ? httpMetadataFromStored(JSONParse(meta.http)) : undefined;
    this.customMetadata = include === undefined || include.custom ? JSONParse(meta.custom) : undefined;
    this.range = range;
    this.storageClass = meta.storageClass;
    this.ssecKeyMd5 = undefined;
  }
  writeHttpMetadata(headers) {
    if (this.httpMetadata === undefined) {
      throw new $TypeError(`HTTP metadata unknown for key \`${this.key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`);
    }
    const m = this.httpMetadata;
    for (let i = 0; i < HTTP_FIELDS.length; i++) {
      if (m[HTTP_FIELDS[i]] !== undefined) headers.set(HTTP_HEADERS[i], m[HTTP_FIELDS[i]]);
    }
    if (m.cacheExpiry !== undefined) headers.set("expires", m.cacheExpiry.toUTCString());
  }
}

function bodyUsedError() {
  return new $TypeError("Body has already been used. It can only be used once. Use tee() first if you need to read it twice.");
}

// get()'s answer: the object and its body (a ReadableStream of the range read).
class R2ObjectBody extends R2Object {
  #body;
  constructor(token, meta, range, body) {
    super(token, meta, undefined, range);
    this.#body = body;
  }
  get body() { return this.#body; }
  get bodyUsed() { return internal.require("streams").bodyStreams.isDisturbed(this.#body); }
  async bytes() {
    const { bodyStreams } = internal.require("streams");
    if (bodyStreams.isDisturbed(this.#body) || bodyStreams.isLocked(this.#body)) throw bodyUsedError();
    return new $Uint8Array(await bodyStreams.readAll(this.#body));
  }
  async arrayBuffer() {
    const bytes = await this.bytes();
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  }
  async text() { return utf8Decode(await this.bytes()); }
  async json() { return JSONParse(await this.text()); }
  async blob() {
    const { Blob } = internal.require("blob");
    return new Blob([await this.bytes()], { type: this.httpMetadata.contentType ?? "" });
  }
}

export { R2Object, R2ObjectBody, R2Checksums };
