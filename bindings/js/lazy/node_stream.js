// node:stream (nodejs_compat; https://nodejs.org/api/stream.html): readable-stream 4.7.0, the
// Node.js project's own user-land copy of Node's streams (Readable, Writable, Duplex, Transform,
// PassThrough, pipeline, finished, Readable.from, promises), plus the adapters to and from web
// streams that it leaves unimplemented (Readable/Writable.fromWeb and toWeb), which a worker
// needs to hand a Response body to Node-style code and back.
const stream = require("atoll-npm:readable-stream/lib/ours/browser.js");

const { Readable, Writable } = stream;

function toChunk(value, objectMode) {
  if (objectMode || typeof value === "string") return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

// https://nodejs.org/api/stream.html#streamreadablefromwebreadablestream-options
Readable.fromWeb = function fromWeb(readableStream, options = {}) {
  const reader = readableStream.getReader();
  const objectMode = options.objectMode === true;
  return new Readable({
    objectMode,
    highWaterMark: options.highWaterMark,
    encoding: options.encoding,
    signal: options.signal,
    read() {
      reader.read().then(({ value, done }) => {
        if (done) this.push(null);
        else this.push(toChunk(value, objectMode));
      }, (error) => this.destroy(error));
    },
    destroy(error, callback) {
      reader.cancel(error ?? undefined).then(() => callback(error), () => callback(error));
    },
  });
};

// https://nodejs.org/api/stream.html#streamreadabletowebstreamreadable-options
Readable.toWeb = function toWeb(readable) {
  const { ReadableStream } = internal.require("streams");
  const encoder = new (internal.require("encoding").TextEncoder)();
  return new ReadableStream({
    start(controller) {
      readable.pause();
      readable.on("data", (chunk) => {
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk)
                           : readable.readableObjectMode ? chunk : new Uint8Array(chunk));
        if (controller.desiredSize <= 0) readable.pause();
      });
      readable.once("end", () => controller.close());
      readable.once("error", (error) => controller.error(error));
    },
    pull() {
      readable.resume();
    },
    cancel(reason) {
      readable.destroy(reason);
    },
  });
};

// https://nodejs.org/api/stream.html#streamwritablefromwebwritablestream-options
Writable.fromWeb = function fromWeb(writableStream, options = {}) {
  const writer = writableStream.getWriter();
  return new Writable({
    objectMode: options.objectMode === true,
    highWaterMark: options.highWaterMark,
    decodeStrings: options.decodeStrings,
    signal: options.signal,
    write(chunk, encoding, callback) {
      writer.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      if (error == null) {
        callback(error);
        return;
      }
      writer.abort(error).then(() => callback(error), () => callback(error));
    },
  });
};

// https://nodejs.org/api/stream.html#streamwritabletowebstreamwritable
Writable.toWeb = function toWeb(writable) {
  const { WritableStream } = internal.require("streams");
  return new WritableStream({
    write(chunk) {
      return new Promise((resolve, reject) => writable.write(chunk, (error) => (error ? reject(error) : resolve())));
    },
    close() {
      return new Promise((resolve) => writable.end(resolve));
    },
    abort(reason) {
      writable.destroy(reason);
    },
  });
};

module.exports = stream;
