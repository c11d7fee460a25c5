"use strict";
// 20_body.js: the Body mixin (https://fetch.spec.whatwg.org/#body-mixin) shared by Request and
// Response, and body extraction (https://fetch.spec.whatwg.org/#concept-bodyinit-extract).
//
// A body is held in the owner's private slot as one of:
//   null          no body
//   a string      a USVString body, kept as a string so native.respond gets it untouched and
//                 C++ encodes it once (no UTF-8 encoding in JS on the hot path)
//   a Uint8Array  bytes, always exclusively owned by the body (copied at construction, moved by
//                 new Request(request), copied by clone()), so reading it hands it out, no copy
//   BODY_USED     the body was consumed (disturbed)
//
// ReadableStream does not exist yet. Until it does, `body` returns null even when there is a
// body (use text()/json()/arrayBuffer()/bytes()). If a ReadableStream constructor is present
// (internal.ReadableStream, else globalThis.ReadableStream) `body` lazily returns a stream over
// the bytes; reading it consumes the body. Constructing a Request/Response FROM a ReadableStream
// is refused with a TypeError until the streams unit exists. Blob, FormData (multipart) and
// URLSearchParams bodies come from their lazy modules ("blob", "url"), checked only when the
// context loaded them. Any other object is converted with String(), the Web IDL fallback of the
// BodyInit union.
//
// internal helpers:
//   internal.BODY_USED, internal.TEXT_PLAIN
//   internal.extractBody(object) -> string | Uint8Array   (object neither null nor undefined)
//   internal.extractedContentType() -> Content-Type of the last extractBody() call, or null
//   internal.cloneBody(body), internal.bodyUnusable(owner, body)
//   internal.installBodyMixin(Class, {has, get, set, contentType})

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
const WeakMapGet = uncurryThis(WeakMap.prototype.get);
const WeakMapSet = uncurryThis(WeakMap.prototype.set);
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

function isArrayBuffer(value) {
  try {
    ArrayBufferByteLength(value);
    return true;
  } catch {
    return false;
  }
}

function isInstance(value, name) {
  const Class = internal[name] || globalThis[name];
  return typeof Class === "function" && value instanceof Class;
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
    if (isInstance(object, "ReadableStream")) throw new $TypeError("ReadableStream bodies are not supported yet.");
  }
  const text = `${object}`;
  extractedType = TEXT_PLAIN;
  return text;
}

function extractedContentType() {
  return extractedType;
}

function cloneBody(body) {
  return body !== null && typeof body === "object" ? TypedArraySlice(body) : body;
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

function bodyArrayBuffer(body) {
  const bytes = bodyBytes(body);
  const buffer = TypedArrayBuffer(bytes);
  const offset = TypedArrayByteOffset(bytes);
  const length = TypedArrayByteLength(bytes);
  if (offset === 0 && length === ArrayBufferByteLength(buffer)) return buffer;
  return ArrayBufferSlice(buffer, offset, offset + length);
}

function usedError() {
  return new $TypeError("Body has already been used. It can only be read once; use clone() to read it twice.");
}

// owner -> the ReadableStream handed out by the `body` getter (only when streams exist).
const streams = new WeakMap();

function bodyUnusable(owner, body) {
  if (body === BODY_USED) return true;
  if (body === null) return false;
  const stream = WeakMapGet(streams, owner);
  return stream !== undefined && stream.locked === true;
}

function installBodyMixin(Class, access) {
  const { has, get, set, contentType } = access;

  // https://fetch.spec.whatwg.org/#concept-body-consume-body, synchronous part: returns the
  // body (null for no body) and marks it used, or throws the TypeError to reject with.
  function consume(owner) {
    if (!has(owner)) throw new $TypeError("Illegal invocation");
    const body = get(owner);
    if (body === null) return null;
    if (body === BODY_USED) throw usedError();
    const stream = WeakMapGet(streams, owner);
    if (stream !== undefined) {
      if (stream.locked === true) throw usedError();
      stream.getReader(); // fully reading the stream leaves it locked
    }
    set(owner, BODY_USED);
    return body;
  }

  function makeStream(ReadableStream, owner) {
    return new ReadableStream({
      pull(controller) {
        const body = get(owner);
        if (body !== null && body !== BODY_USED) {
          set(owner, BODY_USED);
          const bytes = bodyBytes(body);
          if (TypedArrayByteLength(bytes) !== 0) controller.enqueue(bytes);
        }
        controller.close();
      },
      cancel() {
        if (get(owner) !== null) set(owner, BODY_USED);
      },
    }, { highWaterMark: 0 });
  }

  const members = {
    arrayBuffer() {
      try {
        return PromiseResolve(bodyArrayBuffer(consume(this)));
      } catch (e) {
        return PromiseReject(e);
      }
    },
    blob() {
      try {
        const { Blob } = internal.require("blob");
        const type = has(this) ? contentType(this) : null;
        const bytes = bodyBytes(consume(this));
        return PromiseResolve(new Blob([bytes], { type: type === null ? "" : StringPrototypeToLowerCase(type) }));
      } catch (e) {
        return PromiseReject(e);
      }
    },
    // https://fetch.spec.whatwg.org/#dom-body-formdata
    formData() {
      try {
        const type = has(this) ? contentType(this) : null;
        const semicolon = type === null ? -1 : StringPrototypeIndexOf(type, ";");
        const essence = type === null ? ""
          : StringPrototypeToLowerCase(StringPrototypeTrim(semicolon === -1 ? type : StringPrototypeSlice(type, 0, semicolon)));
        if (essence === "multipart/form-data") {
          return PromiseResolve(internal.require("blob").parseMultipart(bodyBytes(consume(this)), type));
        }
        if (essence === "application/x-www-form-urlencoded") {
          const { FormData } = internal.require("blob");
          const params = new (internal.require("url").URLSearchParams)(bodyText(consume(this)));
          const formData = new FormData();
          for (const [name, value] of params) formData.append(name, value);
          return PromiseResolve(formData);
        }
        throw new $TypeError(`Failed to parse the body as FormData: the Content-Type is ${type === null ? "missing" : `"${type}"`}`);
      } catch (e) {
        return PromiseReject(e);
      }
    },
    bytes() {
      try {
        return PromiseResolve(bodyBytes(consume(this)));
      } catch (e) {
        return PromiseReject(e);
      }
    },
    json() {
      try {
        return PromiseResolve(JSONParse(bodyText(consume(this))));
      } catch (e) {
        return PromiseReject(e);
      }
    },
    text() {
      try {
        return PromiseResolve(bodyText(consume(this)));
      } catch (e) {
        return PromiseReject(e);
      }
    },
    get body() {
      if (!has(this)) throw new $TypeError("Illegal invocation");
      const body = get(this);
      if (body === null) return null;
      let stream = WeakMapGet(streams, this);
      if (stream !== undefined) return stream;
      const ReadableStream = internal.ReadableStream || globalThis.ReadableStream;
      if (typeof ReadableStream !== "function") return null;
      stream = makeStream(ReadableStream, this);
      WeakMapSet(streams, this, stream);
      if (body === BODY_USED) stream.getReader();
      return stream;
    },
    get bodyUsed() {
      if (!has(this)) throw new $TypeError("Illegal invocation");
      return get(this) === BODY_USED;
    },
  };
  const proto = Class.prototype;
  for (const name of ["arrayBuffer", "blob", "bytes", "formData", "json", "text", "body", "bodyUsed"]) {
    const desc = ObjectGetOwnPropertyDescriptor(members, name);
    desc.enumerable = false; // exposeInterface() makes them enumerable with the rest
    ObjectDefineProperty(proto, name, desc);
  }
}

internal.BODY_USED = BODY_USED;
internal.TEXT_PLAIN = TEXT_PLAIN;
internal.extractBody = extractBody;
internal.extractedContentType = extractedContentType;
internal.cloneBody = cloneBody;
internal.bodyUnusable = bodyUnusable;
internal.installBodyMixin = installBodyMixin;
