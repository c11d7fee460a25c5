// CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/): a
// TransformStream around zlib (bindings/compression.{h,cc}). Formats: "gzip", "deflate" (zlib
// wrapper), "deflate-raw".
const { TransformStream } = internal.require("streams");
const { uncurryThis, exposeInterface } = internal;
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

// The transformer both classes share: every chunk goes through zlib, what comes out is enqueued.
function zlibTransform(kind, decompress) {
  let handle = native.zlibNew(kind, decompress);
  return {
    transform(chunk, controller) {
      const out = native.zlibWrite(handle, toView(chunk), false);
      if (out !== null) controller.enqueue(out);
    },
    flush(controller) {
      const out = native.zlibWrite(handle, null, true);
      handle = null;
      if (out !== null) controller.enqueue(out);
    },
  };
}

class CompressionStream {
  #transform;

  constructor(format) {
    const kind = convertFormat(arguments.length, format, "CompressionStream");
    this.#transform = new TransformStream(zlibTransform(kind, false));
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
    this.#transform = new TransformStream(zlibTransform(kind, true));
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }
}

exposeInterface(CompressionStream, "CompressionStream", false);
exposeInterface(DecompressionStream, "DecompressionStream", false);

export { CompressionStream, DecompressionStream };
