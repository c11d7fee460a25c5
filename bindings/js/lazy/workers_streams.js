// Cloudflare Workers' stream extensions
// (https://developers.cloudflare.com/workers/runtime-apis/streams/transformstream/):
// IdentityTransformStream (bytes in, the same bytes out, its readable a byte stream that BYOB
// readers can read), FixedLengthStream(length) (the same, refusing more or fewer than `length`
// bytes; a Response whose body is its readable is sent with that Content-Length), and
// crypto.DigestStream(algorithm) (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/):
// a WritableStream of bytes whose `digest` promise resolves to the hash of everything written,
// computed as the bytes arrive (bindings/crypto_stream.cc), not kept.
const { ReadableStream, WritableStream, TransformStream } = internal.require("streams");
const { normalizeDigest } = internal.require("crypto_subtle");
const { isArrayBuffer } = internal;
const $TypeError = TypeError;
const $Uint8Array = Uint8Array;
const $Promise = Promise;
const $Number = Number;
const $String = String;
const ArrayBufferIsView = ArrayBuffer.isView;
const MathFloor = Math.floor;

// A written chunk as a fresh Uint8Array copy (the writer may reuse its buffer), or a TypeError.
function bytesOf(chunk, what) {
  if (isArrayBuffer(chunk)) return new $Uint8Array(chunk).slice();
  if (ArrayBufferIsView(chunk)) return new $Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
  throw new $TypeError(`${what}: chunks must be ArrayBuffer or ArrayBufferView`);
}

// The readable/writable pair of an identity transform; `limit` (a byte count or undefined)
// makes it a FixedLengthStream. A write resolves once the reader has taken its bytes.
function identityPair(what, limit) {
  let readController, writeController, waiting = null, written = 0;
  const wake = () => {
    if (waiting !== null) {
      const resolve = waiting;
      waiting = null;
      resolve();
    }
  };
  const readable = new ReadableStream({
    type: "bytes",
    start(c) { readController = c; },
    pull: wake,
    cancel(reason) {
      writeController.error(reason);
      wake();
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream({
    start(c) { writeController = c; },
    write(chunk) {
      const bytes = bytesOf(chunk, what);
      written += bytes.byteLength;
      if (limit !== undefined && written > limit) {
        const error = new $TypeError(`${what}: more than the ${limit} bytes promised were written`);
        readController.error(error);
        throw error;
      }
      if (bytes.byteLength === 0) return undefined;
      readController.enqueue(bytes);
      if (readController.desiredSize >= 0) return undefined;
      return new $Promise((resolve) => { waiting = resolve; });
    },
    close() {
      if (limit !== undefined && written < limit) {
        const error = new $TypeError(`${what}: closed after ${written} of the ${limit} bytes promised`);
        readController.error(error);
        throw error;
      }
      readController.close();
      // A BYOB read waiting for bytes ends with the stream (the spec's respond(0) after close).
      readController.byobRequest?.respond(0);
    },
    abort(reason) { readController.error(reason); },
  });
  return { readable, writable };
}

// Subclasses of TransformStream, as workerd's (`instanceof TransformStream`); the base's own
// pair is unused: readable and writable are the identity pair's.
class IdentityTransformStream extends TransformStream {
  #readable;
  #writable;

  constructor() {
    super();
    const pair = identityPair("IdentityTransformStream", undefined);
    this.#readable = pair.readable;
    this.#writable = pair.writable;
  }

  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
}

class FixedLengthStream extends TransformStream {
  #readable;
  #writable;

  constructor(length) {
    super();
    if (arguments.length < 1) throw new $TypeError("FixedLengthStream: the expected length is required");
    const limit = $Number(length);
    if (!(limit >= 0) || limit !== MathFloor(limit) || limit > 9007199254740991) {
      throw new $TypeError(`FixedLengthStream: the length must be a non-negative integer, not ${$String(length)}`);
    }
    const pair = identityPair("FixedLengthStream", limit);
    this.#readable = pair.readable;
    this.#writable = pair.writable;
    internal.setFixedLength(pair.readable, limit);
  }

  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
}

class DigestStream extends WritableStream {
  #digest;

  constructor(algorithm) {
    if (arguments.length < 1) throw new $TypeError("DigestStream: an algorithm is required");
    const name = normalizeDigest(algorithm);
    const state = native.cryptoDigestInit(name);
    let resolve, reject;
    const digest = new $Promise((res, rej) => { resolve = res; reject = rej; });
    super({
      write(chunk) {
        if (!isArrayBuffer(chunk) && !ArrayBufferIsView(chunk)) {
          const error = new $TypeError("DigestStream: chunks must be ArrayBuffer or ArrayBufferView");
          reject(error);
          throw error;
        }
        native.cryptoDigestUpdate(state, chunk);
      },
      close() { resolve(native.cryptoDigestFinal(state)); },
      abort(reason) { reject(reason); },
    });
    digest.catch(() => {});  // a stream nobody asks the digest of may fail unobserved
    this.#digest = digest;
  }

  get digest() { return this.#digest; }
}

for (const [Class, name] of [[IdentityTransformStream, "IdentityTransformStream"],
  [FixedLengthStream, "FixedLengthStream"], [DigestStream, "DigestStream"]]) {
  internal.exposeInterface(Class, name, false);
}

export { IdentityTransformStream, FixedLengthStream, DigestStream };
