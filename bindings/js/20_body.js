"use strict";
// 20_body.js: the Body mixin (https://fetch.spec.whatwg.org/#body-mixin) shared by Request and
// Response, and body extraction (https://fetch.spec.whatwg.org/#concept-bodyinit-extract).
//
// A body is held in the owner's private slot as one of:
//   null            no body
//   a string        a USVString body, kept as a string so native.respond gets it untouched and
//                   C++ encodes it once (no UTF-8 encoding in JS on the hot path)
//   a Uint8Array    bytes, always exclusively owned by the body (copied at construction, moved by
//                   new Request(request), copied by clone()), so reading it hands it out, no copy
//   a ReadableStream  the body as a stream (lazy module "streams"): given to the constructor,
//                   an incoming request body the server streams, or a string/bytes body whose
//                   `body` getter was read (the stream then owns the bytes). It is used when
//                   disturbed, unusable when locked or disturbed (https://fetch.spec.whatwg.org/#body-unusable)
//   BODY_USED       a string/bytes body that was consumed
// Only the first three exist on the hot path: the streams module is loaded the first time a body
// becomes a stream.
//
// Blob, FormData (multipart) and URLSearchParams bodies come from their lazy modules ("blob",
// "url"), checked only when the context loaded them. Any other object is converted with
// String(), the Web IDL fallback of the
// BodyInit union.
//
// internal helpers:
//   internal.BODY_USED, internal.TEXT_PLAIN
//   internal.extractBody(object) -> string | Uint8Array | ReadableStream  (object not null/undefined)
//   internal.extractedContentType() -> Content-Type of the last extractBody() call, or null
//   internal.isStreamBody(body), internal.cloneBody(body, replaceOriginal), internal.bodyUnusable(owner, body)
//   internal.installBodyMixin(Class, {has, get, set, contentType})
//   internal.uploadSinks, internal.responseSinks: request id -> event handler of a streamed body
//   internal.onStreamEvent(id, kind, data) (C++ -> JS, bindings/body_stream.h)
//   internal.dropUpload(id): the response is complete, the rest of the request body is discarded

const { uncurryThis } = internal;
const utf8Encode = native.utf8Encode;
const utf8Decode = native.utf8Decode;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectDefineProperty = Object.defineProperty;
const ArrayBufferIsView = ArrayBuffer.isView;
const ArrayBufferSlice = uncurryThis(ArrayBuffer.prototype.slice);
const {
  ArrayBufferByteLength, TypedArrayToStringTag, DataViewByteOffset, DataViewByteLength,
  StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToLowerCase, StringPrototypeIndexOf,
  RegExpPrototypeTest,
} = internal.primordials;
const StringPrototypeTrim = uncurryThis(String.prototype.trim);
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const TypedArrayBuffer = uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "buffer").get);
const TypedArrayByteOffset = uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "byteOffset").get);
const TypedArrayByteLength = uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "byteLength").get);
const TypedArraySlice = uncurryThis(TypedArrayPrototype.slice);
const DataViewBuffer = uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, "buffer").get);
const { MapGet, PromisePrototypeThen: PromiseThen } = internal.primordials;
const JSONParse = JSON.parse;
const $Promise = Promise;
const PromiseResolve = $Promise.resolve.bind($Promise);
const PromiseReject = $Promise.reject.bind($Promise);
const $Uint8Array = Uint8Array;
const $TypeError = TypeError;

const BODY_USED = Symbol("body used");
const TEXT_PLAIN = "text/plain;charset=UTF-8";
const FORM_URLENCODED = "application/x-www-form-urlencoded;charset=UTF-8";
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// V8's check (a native): trying ArrayBuffer's byteLength getter instead threw a TypeError, with
// its stack trace, for every Blob, FormData or stream body (3.7% of a socket-proxy request's CPU).
const isArrayBuffer = native.isArrayBuffer;

// A stream body: the only object a body slot holds that is not a Uint8Array.
function isStreamBody(body) {
  return typeof body === "object" && body !== null && !ArrayBufferIsView(body);
}

function bodyStreams() {
  return internal.require("streams").bodyStreams;
}

let extractedType = null;

function extractBody(object) {
  if (typeof object === "string") {
    extractedType = TEXT_PLAIN;
    return object;
  }
  if (typeof object === "object" || typeof object === "function") {
    if (ArrayBufferIsView(object)) {
      let buffer, offset, length;
      if (TypedArrayToStringTag(object) !== undefined) {
        buffer = TypedArrayBuffer(object);
        offset = TypedArrayByteOffset(object);
        length = TypedArrayByteLength(object);
      } else {
        buffer = DataViewBuffer(object);
        offset = DataViewByteOffset(object);
        length = DataViewByteLength(object);
      }
      extractedType = null;
      return new $Uint8Array(ArrayBufferSlice(buffer, offset, offset + length));
    }
    if (isArrayBuffer(object)) {
      extractedType = null;
      return new $Uint8Array(ArrayBufferSlice(object, 0));
    }
    const url = internal.loaded("url");
    if (url !== undefined && object instanceof url.URLSearchParams) {
      const text = `${object}`;
      extractedType = FORM_URLENCODED;
      return text;
    }
    const blob = internal.loaded("blob");
    if (blob !== undefined && object instanceof blob.Blob) {
      const type = object.type;
      extractedType = type === "" ? null : type;
      return blob.blobBytes(object);
    }
    if (blob !== undefined && object instanceof blob.FormData) {
      const { bytes, contentType } = blob.serializeFormData(object);
      extractedType = contentType;
      return bytes;
    }
    const streams = internal.loaded("streams");
    if (streams !== undefined && streams.bodyStreams.isReadableStream(object)) {
      const helpers = streams.bodyStreams;
      if (helpers.isDisturbed(object) || helpers.isLocked(object)) {
        throw new $TypeError("The ReadableStream body is locked or has already been read.");
      }
      extractedType = null;
      return object;
    }
  }
  const text = `${object}`;
  extractedType = TEXT_PLAIN;
  return text;
}

function extractedContentType() {
  return extractedType;
}

// The body of a clone; a stream body is teed, its first branch replacing the original's.
function cloneBody(body, replaceOriginal) {
  if (body === null || typeof body !== "object") return body;
  if (!isStreamBody(body)) return TypedArraySlice(body);
  const branches = bodyStreams().tee(body);
  replaceOriginal(branches[0]);
  return branches[1];
}

// A string body read as text: the USVString conversion (lone surrogates -> U+FFFD) and the BOM
// strip of "UTF-8 decode" that a round trip through bytes would do.
function stringBodyText(text) {
  if (RegExpPrototypeTest(LONE_SURROGATE, text)) return utf8Decode(utf8Encode(text));
  return StringPrototypeCharCodeAt(text, 0) === 0xfeff ? StringPrototypeSlice(text, 1) : text;
}

function bodyText(body) {
  if (body === null) return "";
  return typeof body === "string" ? stringBodyText(body) : utf8Decode(body);
}

function bodyBytes(body) {
  if (body === null) return new $Uint8Array(0);
  return typeof body === "string" ? utf8Encode(body) : body;
}

function bytesToArrayBuffer(bytes) {
  const buffer = TypedArrayBuffer(bytes);
  const offset = TypedArrayByteOffset(bytes);
  const length = TypedArrayByteLength(bytes);
  if (offset === 0 && length === ArrayBufferByteLength(buffer)) return buffer;
  return ArrayBufferSlice(buffer, offset, offset + length);
}

function usedError() {
  return new $TypeError("Body has already been used. It can only be read once; use clone() to read it twice.");
}

function bodyUnusable(owner, body) {
  if (body === BODY_USED) return true;
  if (!isStreamBody(body)) return false;
  const helpers = bodyStreams();
  return helpers.isDisturbed(body) || helpers.isLocked(body);
}

function installBodyMixin(Class, access) {
  const { has, get, set, contentType } = access;

  // https://fetch.spec.whatwg.org/#concept-body-consume-body, synchronous part: returns the
  // body (null for no body; a stream to read) and marks it used, or throws the TypeError to
  // reject with.
  function consume(owner) {
    if (!has(owner)) throw new $TypeError("Illegal invocation");
    const body = get(owner);
    if (body === null) return null;
    if (body === BODY_USED) throw usedError();
    if (isStreamBody(body)) {
      if (bodyUnusable(owner, body)) throw usedError();
      return body; // reading it leaves it disturbed and locked
    }
    set(owner, BODY_USED);
    return body;
  }

  // consume() then `convert` (a function of the body, or of its bytes when it was a stream).
  function consumeAs(owner, convert) {
    try {
      const body = consume(owner);
      if (isStreamBody(body)) return PromiseThen(bodyStreams().readAll(body), convert);
      return PromiseResolve(convert(body));
    } catch (e) {
      return PromiseReject(e);
    }
  }

  const members = {
    arrayBuffer() {
      return consumeAs(this, (body) => bytesToArrayBuffer(bodyBytes(body)));
    },
    blob() {
      const { Blob, blobTypeOf } = internal.require("blob");
      const type = blobTypeOf(has(this) ? contentType(this) : null);
      return consumeAs(this, (body) => new Blob([bodyBytes(body)], { type }));
    },
    // https://fetch.spec.whatwg.org/#dom-body-formdata: the body is read, then parsed by its
    // Content-Type (a type that is not a form rejects with a TypeError, the body used).
    formData() {
      const type = has(this) ? contentType(this) : null;
      const semicolon = type === null ? -1 : StringPrototypeIndexOf(type, ";");
      const essence = type === null ? ""
        : StringPrototypeToLowerCase(StringPrototypeTrim(semicolon === -1 ? type : StringPrototypeSlice(type, 0, semicolon)));
      return consumeAs(this, (body) => {
        if (essence === "multipart/form-data") return internal.require("blob").parseMultipart(bodyBytes(body), type);
        if (essence === "application/x-www-form-urlencoded") {
          const { FormData } = internal.require("blob");
          const params = new (internal.require("url").URLSearchParams)(bodyText(body));
          const formData = new FormData();
          for (const [name, value] of params) formData.append(name, value);
          return formData;
        }
        throw new $TypeError(`Failed to parse the body as FormData: the Content-Type is ${type === null ? "missing" : `"${type}"`}`);
      });
    },
    bytes() {
      return consumeAs(this, bodyBytes);
    },
    json() {
      return consumeAs(this, (body) => JSONParse(bodyText(body)));
    },
    text() {
      return consumeAs(this, bodyText);
    },
    get body() {
      if (!has(this)) throw new $TypeError("Illegal invocation");
      const body = get(this);
      if (body === null || isStreamBody(body)) return body;
      const stream = bodyStreams().fromBytes(body === BODY_USED ? null : bodyBytes(body));
      set(this, stream);
      return stream;
    },
    get bodyUsed() {
      if (!has(this)) throw new $TypeError("Illegal invocation");
      const body = get(this);
      if (body === BODY_USED) return true;
      return isStreamBody(body) && bodyStreams().isDisturbed(body);
    },
  };
  const proto = Class.prototype;
  for (const name of ["arrayBuffer", "blob", "bytes", "formData", "json", "text", "body", "bodyUsed"]) {
    const desc = ObjectGetOwnPropertyDescriptor(members, name);
    desc.enumerable = false; // exposeInterface() makes them enumerable with the rest
    ObjectDefineProperty(proto, name, desc);
  }
}

// Streamed bodies of requests in flight (js/lazy/streams.js registers the handlers).
const uploadSinks = new Map();
const responseSinks = new Map();
const UPLOAD_ERROR = 2;
const RESPONSE_DRAIN = 3;

internal.onStreamEvent = function onStreamEvent(id, kind, data) {
  const sink = MapGet(kind < RESPONSE_DRAIN ? uploadSinks : responseSinks, id);
  if (sink === undefined) return kind === 0; // a chunk nobody reads any more: keep discarding
  return sink(kind, data);
};

// Outbound fetches in flight (js/lazy/fetch.js registers a handler per fetch id); C++ calls
// internal.onFetchEvent(id, kind, a, b, c, d) (bindings/fetch.h; d: an upgraded fetch's socket id).
const fetchSinks = new Map();
internal.onFetchEvent = function onFetchEvent(id, kind, a, b, c, d) {
  const sink = MapGet(fetchSinks, id);
  if (sink === undefined) return false;
  return sink(kind, a, b, c, d) === true;
};
internal.fetchSinks = fetchSinks;

// Events of accepted WebSockets: C++ calls internal.onWebSocketEvent(id, kind, a, b, c)
// (bindings/websocket.h), which js/lazy/websocket.js handles once loaded (no socket exists before).
internal.onWebSocketEvent = function onWebSocketEvent(id, kind, a, b, c) {
  const handler = internal.onWebSocketEventHandler;
  if (handler !== undefined) handler(id, kind, a, b, c);
};

internal.dropUpload = function dropUpload(id) {
  const sink = MapGet(uploadSinks, id);
  if (sink !== undefined) sink(UPLOAD_ERROR, "The response was sent before the request body was read.");
};

internal.BODY_USED = BODY_USED;
internal.isArrayBuffer = isArrayBuffer;
internal.TEXT_PLAIN = TEXT_PLAIN;
internal.extractBody = extractBody;
internal.extractedContentType = extractedContentType;
internal.cloneBody = cloneBody;
internal.isStreamBody = isStreamBody;
internal.uploadSinks = uploadSinks;
internal.responseSinks = responseSinks;
internal.bodyUnusable = bodyUnusable;
internal.installBodyMixin = installBodyMixin;
