// CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/): a
// TransformStream around zlib (bindings/compression.{h,cc}). Formats: "gzip", "deflate" (zlib
// wrapper), "deflate-raw".
const { TransformStream, ReadableStream, ReadableStreamDefaultReader } = internal.require("streams");
const { uncurryThis, exposeInterface } = internal;
const { PromisePrototypeThen: PromiseThen, StringPrototypeToLowerCase } = internal.primordials;
const StringPrototypeTrim = uncurryThis(String.prototype.trim);
const getReader = uncurryThis(ReadableStream.prototype.getReader);
const read = uncurryThis(ReadableStreamDefaultReader.prototype.read);
const cancelReader = uncurryThis(ReadableStreamDefaultReader.prototype.cancel);
const cancelStream = uncurryThis(ReadableStream.prototype.cancel);
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const TypedArrayToStringTag = uncurryThis(Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get);
const ArrayBufferIsView = ArrayBuffer.isView;
const { isArrayBuffer } = internal;
const $TypeError = TypeError;
const $Uint8Array = Uint8Array;

const FORMATS = { __proto__: null, "gzip": 0, "deflate": 1, "deflate-raw": 2 };

// A BufferSource chunk as a view native.zlibWrite can read.
function toView(chunk) {
  if (ArrayBufferIsView(chunk)) return chunk;
  if (isArrayBuffer(chunk)) return new $Uint8Array(chunk);
  throw new $TypeError("The chunk is not an ArrayBuffer or an ArrayBufferView.");
}

function convertFormat(argc, format, Class) {
  if (argc < 1) throw new $TypeError(`Failed to construct '${Class}': 1 argument required, but only 0 present.`);
  const text = `${format}`;
  const kind = FORMATS[text];
  if (kind === undefined) {
    throw new $TypeError(`Failed to construct '${Class}': The provided value '${text}' is not a valid enum value of type CompressionFormat.`);
  }
  return kind;
}

// The transformer both classes share: every chunk goes through zlib, what comes out is enqueued
// 64 KB at a time, and a chunk's next piece is enqueued only once the reader has taken the
// previous one (`holder.stream`: the TransformStream, whose backpressure flag says whether the
// readable side wants more), with at most one piece made ahead. A small compressed chunk may
// inflate to gigabytes: it never exists whole. A chunk whose output is all enqueued is done.
function zlibTransform(kind, decompress, holder) {
  let handle = native.zlibNew(kind, decompress);
  function drain(out, controller, finish) {
    while (out !== null) {
      controller.enqueue(out);
      out = native.zlibWrite(handle, null, finish);
      if (out !== null && holder.stream._backpressure) return wait(out, controller, finish);
    }
    return undefined;
  }
  async function wait(out, controller, finish) {
    const stream = holder.stream;
    while (stream._backpressure) await stream._backpressureChangePromise;
    return drain(out, controller, finish);
  }
  return {
    transform(chunk, controller) {
      return drain(native.zlibWrite(handle, toView(chunk), false), controller, false);
    },
    async flush(controller) {
      await drain(native.zlibWrite(handle, null, true), controller, true);
      handle = null;
    },
  };
}

class CompressionStream {
  #transform;

  constructor(format) {
    const kind = convertFormat(arguments.length, format, "CompressionStream");
    const holder = { stream: null };
    this.#transform = holder.stream = new TransformStream(zlibTransform(kind, false, holder));
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }
}

class DecompressionStream {
  #transform;

  constructor(format) {
    const kind = convertFormat(arguments.length, format, "DecompressionStream");
    const holder = { stream: null };
    this.#transform = holder.stream = new TransformStream(zlibTransform(kind, true, holder));
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }
}

// Content codings a body is decoded from (fetch() as Workers does; a "manual" body for a client
// that does not take its coding): native.zlibNew's formats (bindings/compression.h). A list of
// codings ("gzip, br") is not one. "deflate" is 4: the zlib wrapper or raw deflate, which servers
// send under that name and browsers take.
const CODINGS = { __proto__: null, "gzip": 0, "x-gzip": 0, "deflate": 4, "br": 3 };

// The decoded body of stream `raw`, whose Content-Encoding is `coding`: { stream, source } or
// null for a coding not decoded. `stream` is a byte stream that reads `raw` only when it is read
// and inflates a chunk 64 KB at a time, one piece per read (a small coded body may inflate to
// gigabytes: it never exists whole); `source` is { raw, coding, started }, `started` true once
// anything read it. A body that does not decode errors `stream` with a TypeError that begins
// with `what`.
function decodedBody(raw, coding, what) {
  const kind = CODINGS[StringPrototypeToLowerCase(StringPrototypeTrim(coding))];
  if (kind === undefined) return null;
  const source = { raw, coding, started: false };
  let reader = null;
  let handle = null;
  let draining = false; // the last chunk given to zlib may have more output
  let finishing = false; // `raw` ended: what is left comes out with finish = true
  const corrupt = (error) => new $TypeError(`${what}: its ${coding} body cannot be decoded (${error.message})`);
  const step = (controller) => {
    let out = null;
    try {
      if (finishing) {
        out = native.zlibWrite(handle, null, true);
        if (out === null) controller.close();
        else controller.enqueue(out);
        return undefined;
      }
      if (draining) {
        out = native.zlibWrite(handle, null, false);
        if (out !== null) {
          controller.enqueue(out);
          return undefined;
        }
        draining = false;
      }
    } catch (error) {
      throw corrupt(error);
    }
    return PromiseThen(read(reader), (result) => {
      try {
        if (result.done) finishing = true;
        else out = native.zlibWrite(handle, toView(result.value), false);
      } catch (error) {
        throw corrupt(error);
      }
      if (out === null) return step(controller);
      draining = true;
      controller.enqueue(out);
      return undefined;
    });
  };
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (reader === null) {
        source.started = true;
        reader = getReader(raw);
        handle = native.zlibNew(kind, true);
      }
      return step(controller);
    },
    cancel(reason) {
      source.started = true;
      return reader === null ? cancelStream(raw, reason) : cancelReader(reader, reason);
    },
  }, { highWaterMark: 0 });
  return { stream, source };
}

exposeInterface(CompressionStream, "CompressionStream", false);
exposeInterface(DecompressionStream, "DecompressionStream", false);

export { CompressionStream, DecompressionStream, decodedBody };
