// WHATWG Streams (https://streams.spec.whatwg.org/) from web-streams-polyfill's ponyfill, a port
// of the reference implementation, with the globals it reads replaced by atoll's (build.mjs).
// internal.require("streams") also gives the glue what bodies need (`bodyStreams` below): type
// checks that a tenant cannot fool, reading a whole body, and the two server streams — a request
// body arriving from the socket and a response body pumped to it.
import {
  ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController,
  ReadableByteStreamController, ReadableStreamBYOBRequest, WritableStream, WritableStreamDefaultWriter,
  WritableStreamDefaultController, TransformStream, TransformStreamDefaultController,
  ByteLengthQueuingStrategy, CountQueuingStrategy,
} from "web-streams-polyfill";

export {
  ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController,
  ReadableByteStreamController, ReadableStreamBYOBRequest, WritableStream, WritableStreamDefaultWriter,
  WritableStreamDefaultController, TransformStream, TransformStreamDefaultController,
  ByteLengthQueuingStrategy, CountQueuingStrategy,
};

const { uncurryThis } = internal;

// Cloudflare's ReadableStreamBYOBReader.prototype.readAtLeast(minBytes, view)
// (https://developers.cloudflare.com/workers/runtime-apis/streams/readablestreambyobreader/):
// fills `view` with at least minBytes bytes unless the stream ends first; the standard's
// read(view, { min }) with the element count of minBytes.
const byobRead = uncurryThis(ReadableStreamBYOBReader.prototype.read);
Object.defineProperty(ReadableStreamBYOBReader.prototype, "readAtLeast", {
  value: function readAtLeast(minBytes, view) {
    if (!ArrayBuffer.isView(view)) return Promise.reject(new TypeError("readAtLeast: view must be an ArrayBufferView"));
    const min = Number(minBytes);
    const size = view.BYTES_PER_ELEMENT ?? 1;
    if (!(min >= 1) || min !== Math.floor(min) || min > view.byteLength || min % size !== 0) {
      return Promise.reject(new TypeError(
        `readAtLeast: minBytes must be a positive multiple of ${size} up to the view's ${view.byteLength} bytes`));
    }
    return byobRead(this, view, { min: min / size });
  },
  writable: true, enumerable: true, configurable: true,
});
const ObjectHasOwn = uncurryThis(Object.prototype.hasOwnProperty);
const ArrayPrototypePush = uncurryThis(Array.prototype.push);
const PromiseThen = uncurryThis(Promise.prototype.then);
const MapSet = uncurryThis(Map.prototype.set);
const MapDelete = uncurryThis(Map.prototype.delete);
const WeakMapGet = uncurryThis(WeakMap.prototype.get);
const WeakMapSet = uncurryThis(WeakMap.prototype.set);
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const TypedArrayToStringTag = uncurryThis(Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get);
const TypedArrayByteLength = uncurryThis(Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteLength").get);
const TypedArraySet = uncurryThis(TypedArrayPrototype.set);
const getReader = uncurryThis(ReadableStream.prototype.getReader);
const cancelStream = uncurryThis(ReadableStream.prototype.cancel);
const read = uncurryThis(ReadableStreamDefaultReader.prototype.read);
const cancelReader = uncurryThis(ReadableStreamDefaultReader.prototype.cancel);
const controllerEnqueue = uncurryThis(ReadableByteStreamController.prototype.enqueue);
const controllerClose = uncurryThis(ReadableByteStreamController.prototype.close);
const controllerError = uncurryThis(ReadableByteStreamController.prototype.error);
const controllerDesiredSize = uncurryThis(
  Object.getOwnPropertyDescriptor(ReadableByteStreamController.prototype, "desiredSize").get);
const $Uint8Array = Uint8Array;
const $Promise = Promise;
const $TypeError = TypeError;
const { reportError, uploadSinks, responseSinks } = internal;

// Events C++ sends through internal.onStreamEvent(id, kind, data) (bindings/body_stream.h).
const UPLOAD_CHUNK = 0;
const UPLOAD_END = 1;
const UPLOAD_ERROR = 2;
const RESPONSE_DRAIN = 3;
const RESPONSE_CANCEL = 4;

// How much of a request body may wait in its stream unread before the server stops reading the
// socket (see server/README.md).
const UPLOAD_HIGH_WATER_MARK = 64 * 1024;

// Body streams whose byte length is known before they are read: a bytes body read as `.body`,
// and an incoming request body that came with a Content-Length. fetch() sends such a stream with
// content-length instead of chunked, as Workers does (an upstream such as an S3 presigned PUT
// refuses a chunked upload), so the proxy idiom forwards the client's length.
const knownLengths = new WeakMap();

function cloneChunk(chunk) {
  return internal.require("scope").structuredClone(chunk);
}

function isReadableStream(value) {
  return value !== null && typeof value === "object" && ObjectHasOwn(value, "_readableStreamController") &&
    value instanceof ReadableStream;
}

function isUint8Array(value) {
  return ArrayBuffer.isView(value) && TypedArrayToStringTag(value) === "Uint8Array";
}

// A byte stream over `bytes` (a Uint8Array the stream takes over), for a body read as `.body`;
// null: the stream of a used body.
function fromBytes(bytes) {
  if (bytes === null) {
    // A body already read by text() & co.: disturbed and locked, as a used body's stream is.
    const stream = fromBytes(new $Uint8Array(0));
    PromiseThen(read(getReader(stream)), undefined, () => {});
    return stream;
  }
  const length = TypedArrayByteLength(bytes);
  const stream = new ReadableStream({
    type: "bytes",
    start(controller) {
      if (length !== 0) controllerEnqueue(controller, bytes);
      controllerClose(controller);
    },
  });
  WeakMapSet(knownLengths, stream, length);
  return stream;
}

// https://fetch.spec.whatwg.org/#concept-body-consume-body: every chunk, which must be a
// Uint8Array, concatenated. The caller checked that the stream is neither locked nor disturbed.
function readAll(stream) {
  const reader = getReader(stream);
  const chunks = [];
  let total = 0;
  return new $Promise((resolve, reject) => {
    const next = () => {
      PromiseThen(read(reader), (result) => {
        if (result.done) {
          if (chunks.length === 1) {
            resolve(chunks[0]);
            return;
          }
          const out = new $Uint8Array(total);
          let offset = 0;
          for (let i = 0; i < chunks.length; i++) {
            TypedArraySet(out, chunks[i], offset);
            offset += TypedArrayByteLength(chunks[i]);
          }
          resolve(out);
          return;
        }
        const chunk = result.value;
        if (!isUint8Array(chunk)) {
          const error = new $TypeError("A body stream chunk is not a Uint8Array.");
          cancelReader(reader, error);
          reject(error);
          return;
        }
        ArrayPrototypePush(chunks, chunk);
        total += TypedArrayByteLength(chunk);
        next();
      }, reject);
    };
    next();
  });
}

// The body stream of request `id` whose body the server streams from the socket: C++ pushes
// chunks (UPLOAD_CHUNK; the answer false stops reading until pull() asks for more), then
// UPLOAD_END or UPLOAD_ERROR. Cancelling it makes the server discard the rest of the body.
// `length`: the request's Content-Length (the server holds the body to it), or -1 (chunked).
function newUpload(id, length) {
  let controller;
  const stream = new ReadableStream({
    type: "bytes",
    start(c) {
      controller = c;
    },
    pull() {
      native.uploadControl(id, false);
    },
    cancel() {
      MapDelete(uploadSinks, id);
      native.uploadControl(id, true);
    },
  }, { highWaterMark: UPLOAD_HIGH_WATER_MARK });
  if (length >= 0) WeakMapSet(knownLengths, stream, length);
  MapSet(uploadSinks, id, (kind, data) => {
    if (kind === UPLOAD_CHUNK) {
      controllerEnqueue(controller, new $Uint8Array(data));
      return controllerDesiredSize(controller) > 0;
    }
    MapDelete(uploadSinks, id);
    if (kind === UPLOAD_END) controllerClose(controller);
    else controllerError(controller, new $TypeError(`${data}`));
    return false;
  });
  return stream;
}

// Sends `stream` as the body of request `id`, whose head native.respond already sent: each chunk
// goes to native.writeBody while the socket keeps up; when it answers false the next read waits
// for RESPONSE_DRAIN. RESPONSE_CANCEL (the client went away) cancels the stream.
function pumpResponse(id, stream) {
  const reader = getReader(stream);
  let done = false;
  const finish = (ok) => {
    if (done) return;
    done = true;
    MapDelete(responseSinks, id);
    native.endBody(id, ok);
    internal.dropUpload(id);
  };
  const fail = (error) => {
    if (done) return;
    reportError(error);
    finish(false);
  };
  const next = () => {
    if (done) return;
    PromiseThen(read(reader), (result) => {
      if (done) return;
      if (result.done) {
        finish(true);
        return;
      }
      const chunk = result.value;
      if (!isUint8Array(chunk)) {
        const error = new $TypeError("A response body stream chunk is not a Uint8Array.");
        PromiseThen(cancelReader(reader, error), undefined, () => {});
        fail(error);
        return;
      }
      if (native.writeBody(id, chunk)) next();
    }, fail);
  };
  MapSet(responseSinks, id, (kind) => {
    if (kind === RESPONSE_DRAIN) {
      next();
    } else if (kind === RESPONSE_CANCEL && !done) {
      done = true;
      MapDelete(responseSinks, id);
      PromiseThen(cancelReader(reader, new $TypeError("The client closed the connection.")), undefined, () => {});
    }
    return false;
  });
  next();
}

export const bodyStreams = {
  isReadableStream,
  isDisturbed: (stream) => stream._disturbed === true,
  isLocked: (stream) => stream._reader !== undefined,
  fromBytes,
  readAll,
  // Fetch's "clone a body": the second branch gets structured clones of the chunks, so that a
  // reader changing a chunk of one branch does not change the other's.
  tee: (stream) => internal.teeCloning(stream, cloneChunk),
  // Cancels a body nobody will read (the client went away before its response started).
  cancel: (stream) => PromiseThen(cancelStream(stream, new $TypeError("The client closed the connection.")), undefined, () => {}),
  newUpload,
  pumpResponse,
  // The byte length `stream` will give if read whole from the start (knownLengths), or -1.
  knownLength: (stream) => {
    const length = WeakMapGet(knownLengths, stream);
    return length === undefined ? -1 : length;
  },
};
