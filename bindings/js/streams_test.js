// WHATWG Streams (https://streams.spec.whatwg.org/), CompressionStream/DecompressionStream
// (https://compression.spec.whatwg.org/) and bodies as streams
// (https://fetch.spec.whatwg.org/#body-mixin). The streaming of bodies through the server is
// tested end to end by tests/streaming_test.cc.
import { test, assert, run } from "./testing/harness.js";

const encode = (text) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const decode = (bytes) => String.fromCharCode(...bytes);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function bytesOf(stream) {
  const chunks = await collect(stream);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

test("globals are lazy, non-enumerable classes", () => {
  for (const name of ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader",
    "ReadableStreamDefaultController", "ReadableByteStreamController", "ReadableStreamBYOBRequest",
    "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
    "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
    "CompressionStream", "DecompressionStream"]) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    assert.equal(typeof descriptor.value, "function", name);
    assert.equal(descriptor.enumerable, false, name);
  }
  assert.equal(Object.prototype.toString.call(new ReadableStream()), "[object ReadableStream]");
  assert.throws(() => new ReadableStreamDefaultController(), TypeError, "illegal constructor");
});

test("backpressure: desiredSize follows the queue and the high-water mark", async () => {
  let controller;
  let pulls = 0;
  const stream = new ReadableStream({
    start(c) {
      controller = c;
    },
    pull() {
      pulls++;
    },
  }, new CountQueuingStrategy({ highWaterMark: 2 }));
  assert.equal(controller.desiredSize, 2);
  controller.enqueue("a");
  controller.enqueue("b");
  controller.enqueue("c");
  assert.equal(controller.desiredSize, -1, "over the high-water mark");
  await tick();
  assert.equal(pulls, 0, "no pull while the queue is full");
  const reader = stream.getReader();
  assert.deepEqual(await reader.read(), { value: "a", done: false });
  assert.equal(controller.desiredSize, 0);
  await reader.read();
  await tick();
  assert.equal(controller.desiredSize, 1);
  assert.ok(pulls >= 1, "pull once below the mark");
  const bytes = new ReadableStream({}, new ByteLengthQueuingStrategy({ highWaterMark: 10 }));
  assert.equal(bytes.locked, false);
});

test("WritableStream backpressure: writer.ready and desiredSize", async () => {
  const written = [];
  let release;
  const ws = new WritableStream({
    write(chunk) {
      written.push(chunk);
      return new Promise((resolve) => {
        release = resolve;
      });
    },
  }, { highWaterMark: 1 });
  const writer = ws.getWriter();
  assert.equal(writer.desiredSize, 1);
  writer.write("x");
  writer.write("y");
  assert.equal(writer.desiredSize, -1);
  let ready = false;
  writer.ready.then(() => {
    ready = true;
  });
  await tick();
  assert.equal(ready, false, "ready waits while the queue is over the mark");
  release();
  await tick();
  release();
  await tick();
  assert.equal(ready, true);
  assert.deepEqual(written, ["x", "y"]);
});

test("errors and cancel propagate", async () => {
  const failure = new Error("boom");
  const errored = new ReadableStream({
    start(c) {
      c.error(failure);
    },
  });
  const reader = errored.getReader();
  assert.equal(await reader.read().catch((e) => e), failure);
  assert.equal(await reader.closed.catch((e) => e), failure);

  let reason;
  const cancelled = new ReadableStream({
    cancel(r) {
      reason = r;
    },
  });
  await cancelled.cancel("why");
  assert.equal(reason, "why");
  const locked = new ReadableStream();
  locked.getReader();
  await assert.rejects(locked.cancel(), TypeError, "cancel on a locked stream");
  assert.throws(() => locked.getReader(), TypeError, "a second reader");
});

test("tee: both branches see every chunk; cancel reaches the source only when both cancel", async () => {
  let reason;
  const source = new ReadableStream({
    start(c) {
      c.enqueue("1");
      c.enqueue("2");
      c.close();
    },
  });
  const [a, b] = source.tee();
  assert.equal(source.locked, true);
  assert.deepEqual(await collect(a), ["1", "2"]);
  assert.deepEqual(await collect(b), ["1", "2"]);

  const endless = new ReadableStream({
    pull(c) {
      c.enqueue(0);
    },
    cancel(r) {
      reason = r;
    },
  });
  const [x, y] = endless.tee();
  const first = x.cancel("x"); // settles once both branches are cancelled
  await tick();
  assert.equal(reason, undefined, "one branch cancelled: the source goes on");
  await y.cancel("y");
  await first;
  assert.deepEqual(reason, ["x", "y"], "the composite reason");
});

test("byte streams: BYOB reader fills the caller's buffer and detaches it", async () => {
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest;
      request.view[0] = 7;
      request.view[1] = 8;
      request.respond(2);
    },
  });
  const reader = stream.getReader({ mode: "byob" });
  assert.ok(reader instanceof ReadableStreamBYOBReader);
  const buffer = new ArrayBuffer(4);
  const { value, done } = await reader.read(new Uint8Array(buffer));
  assert.equal(done, false);
  assert.deepEqual(Array.from(value), [7, 8]);
  assert.equal(value.buffer.byteLength, 4, "the same memory comes back");
  assert.equal(buffer.byteLength, 0, "the caller's buffer was transferred (detached)");
  await assert.rejects(reader.read(new Uint8Array(0)), TypeError, "an empty view");

  const auto = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 16,
    pull(controller) {
      assert.equal(controller.byobRequest.view.byteLength, 16);
      controller.byobRequest.view[0] = 1;
      controller.byobRequest.respond(1);
      controller.close();
    },
  });
  assert.deepEqual(Array.from((await auto.getReader().read()).value), [1]);
  assert.throws(() => new ReadableStream({ type: "bytes" }).getReader().releaseLock.call({}), TypeError);
});

test("WritableStreamDefaultController.signal: made on first read, aborted by abort(), never the global AbortController", async () => {
  const saved = globalThis.AbortController;
  let made = 0;
  globalThis.AbortController = class {
    constructor() {
      made++;
    }
  };
  try {
    // Read in start(): writer.abort(reason) aborts it and fires its abort event once.
    let signal;
    const fired = [];
    const first = new WritableStream({
      start(controller) {
        signal = controller.signal;
        signal.addEventListener("abort", () => fired.push(signal.reason));
      },
    });
    const reason = new Error("stop");
    await first.getWriter().abort(reason);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, reason);
    assert.deepEqual(fired, [reason]);
    // First read after the abort: made aborted, with the reason, and the same object every time.
    let controller;
    const second = new WritableStream({
      start(c) {
        controller = c;
      },
    });
    await tick();
    await second.abort("late");
    assert.equal(controller.signal.aborted, true);
    assert.equal(controller.signal.reason, "late");
    assert.equal(controller.signal, controller.signal);
    // Never aborted: a signal that is not.
    let third;
    new WritableStream({
      start(c) {
        third = c;
      },
    });
    assert.equal(third.signal.aborted, false);
    assert.equal(made, 0);
  } finally {
    globalThis.AbortController = saved;
  }
  assert.ok(new WritableStream({ start(c) { assert.ok(c.signal instanceof AbortSignal); } }));
});

test("pipeTo: preventClose, preventAbort, preventCancel and a signal", async () => {
  const sink = [];
  let closed = false;
  let aborted;
  const makeWritable = () => new WritableStream({
    write(c) {
      sink.push(c);
    },
    close() {
      closed = true;
    },
    abort(r) {
      aborted = r;
    },
  });
  const from = (items) => new ReadableStream({
    start(c) {
      for (const item of items) c.enqueue(item);
      c.close();
    },
  });
  const ws = makeWritable();
  await from([1, 2]).pipeTo(ws, { preventClose: true });
  assert.deepEqual(sink, [1, 2]);
  assert.equal(closed, false, "preventClose keeps the destination open");
  assert.equal(ws.locked, false, "and unlocked");
  await from([3]).pipeTo(ws);
  assert.equal(closed, true);

  const failure = new Error("source failed");
  const failing = new ReadableStream({
    start(c) {
      c.error(failure);
    },
  });
  const kept = makeWritable();
  aborted = undefined;
  await assert.rejects(failing.pipeTo(kept, { preventAbort: true }), Error);
  assert.equal(aborted, undefined, "preventAbort: the destination is not aborted");
  await assert.rejects(new ReadableStream({ start(c) { c.error(failure); } }).pipeTo(makeWritable()), Error);
  assert.equal(aborted, failure, "otherwise it is, with the source's error");

  // Any object of AbortSignal's shape is accepted.
  const listeners = [];
  const signal = {
    aborted: false,
    reason: undefined,
    addEventListener(type, fn) {
      listeners.push(fn);
    },
    removeEventListener() {},
  };
  let cancelReason;
  const endless = new ReadableStream({
    async pull(c) {
      await tick(); // one chunk per timer turn: the pipe leaves the event loop room
      c.enqueue("x");
    },
    cancel(r) {
      cancelReason = r;
    },
  });
  const piping = endless.pipeTo(new WritableStream(), { signal });
  await tick();
  signal.aborted = true;
  signal.reason = new Error("stop");
  listeners.forEach((fn) => fn());
  assert.equal(await piping.catch((e) => e.message), "stop");
  assert.equal(cancelReason.message, "stop");
  await assert.rejects(endless.pipeTo(new WritableStream(), { signal: {} }), TypeError, "not an AbortSignal");
});

test("TransformStream and pipeThrough; terminate and flush", async () => {
  const upper = new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk.toUpperCase());
    },
    flush(controller) {
      controller.enqueue("!");
    },
  });
  const out = ReadableStream.from(["a", "b"]).pipeThrough(upper);
  assert.deepEqual(await collect(out), ["A", "B", "!"]);

  const identity = new TransformStream();
  const writer = identity.writable.getWriter();
  writer.write("same");
  writer.close();
  assert.deepEqual(await collect(identity.readable), ["same"]);

  const stopping = new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      controller.terminate();
    },
  });
  const w = stopping.writable.getWriter();
  w.write(1).catch(() => {});
  assert.deepEqual(await collect(stopping.readable), [1]);
  await assert.rejects(w.write(2), TypeError, "the writable side errors after terminate()");
});

test("ReadableStream.from and async iteration with return()", async () => {
  async function* numbers() {
    yield 1;
    yield 2;
    yield 3;
  }
  assert.deepEqual(await collect(ReadableStream.from(numbers())), [1, 2, 3]);
  assert.deepEqual(await collect(ReadableStream.from([4, 5])), [4, 5]);
  assert.throws(() => ReadableStream.from(5), TypeError);
  let cancelled = false;
  const stream = new ReadableStream({
    pull(c) {
      c.enqueue("v");
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const value of stream) {
    assert.equal(value, "v");
    break;
  }
  assert.equal(cancelled, true, "break cancels the stream");
  assert.equal(stream.locked, false);
  const kept = new ReadableStream({ pull(c) { c.enqueue(1); } });
  for await (const value of kept.values({ preventCancel: true })) break;
  assert.equal(kept.locked, false);
});

test("CompressionStream gives zlib's known output for each format", async () => {
  const compress = (format) => bytesOf(ReadableStream.from([encode("hello world")]).pipeThrough(new CompressionStream(format)));
  assert.deepEqual(Array.from(await compress("gzip")), [31, 139, 8, 0, 0, 0, 0, 0, 0, 3, 203, 72, 205, 201, 201, 87,
    40, 207, 47, 202, 73, 1, 0, 133, 17, 74, 13, 11, 0, 0, 0]);
  assert.deepEqual(Array.from(await compress("deflate")), [120, 156, 203, 72, 205, 201, 201, 87, 40, 207, 47, 202,
    73, 1, 0, 26, 11, 4, 93]);
  assert.deepEqual(Array.from(await compress("deflate-raw")), [203, 72, 205, 201, 201, 87, 40, 207, 47, 202, 73, 1, 0]);
  assert.throws(() => new CompressionStream("brotli"), TypeError);
  assert.throws(() => new DecompressionStream(), TypeError);
});

test("Compression round trips, in pieces, and refuses corrupt input", async () => {
  const text = "streams ".repeat(5000);
  for (const format of ["gzip", "deflate", "deflate-raw"]) {
    const compressed = await bytesOf(ReadableStream.from([encode(text)]).pipeThrough(new CompressionStream(format)));
    assert.ok(compressed.byteLength < 200, `${format} compresses`);
    const pieces = [];
    for (let i = 0; i < compressed.byteLength; i += 7) pieces.push(compressed.subarray(i, i + 7));
    const back = await bytesOf(ReadableStream.from(pieces).pipeThrough(new DecompressionStream(format)));
    assert.equal(decode(back), text, `${format} round trip`);
  }
  const garbage = ReadableStream.from([encode("not gzip at all")]).pipeThrough(new DecompressionStream("gzip"));
  await assert.rejects(bytesOf(garbage), TypeError, "corrupt input");
  const gzip = await bytesOf(ReadableStream.from([encode("abc")]).pipeThrough(new CompressionStream("gzip")));
  const truncated = ReadableStream.from([gzip.subarray(0, gzip.byteLength - 4)]).pipeThrough(new DecompressionStream("gzip"));
  await assert.rejects(bytesOf(truncated), TypeError, "truncated input");
  const extra = new Uint8Array([...gzip, 1, 2, 3]);
  await assert.rejects(bytesOf(ReadableStream.from([extra]).pipeThrough(new DecompressionStream("gzip"))), TypeError,
    "data after the end");
  const notBytes = ReadableStream.from(["text"]).pipeThrough(new CompressionStream("gzip"));
  await assert.rejects(bytesOf(notBytes), TypeError, "a chunk that is not a BufferSource");
});

test("Response bodies as streams", async () => {
  const response = new Response("hello");
  assert.equal(response.bodyUsed, false);
  const body = response.body;
  assert.ok(body instanceof ReadableStream);
  assert.equal(response.body, body, "the same stream on every read");
  assert.equal(decode(await bytesOf(body)), "hello");
  assert.equal(response.bodyUsed, true, "reading the stream uses the body");
  await assert.rejects(response.text(), TypeError);
  assert.equal(new Response(null).body, null);
  assert.equal(new Response().body, null);

  const streamed = new Response(ReadableStream.from([encode("a"), encode("b")]));
  assert.equal(streamed.headers.get("content-type"), null, "a stream has no Content-Type");
  assert.equal(await streamed.text(), "ab");
  assert.equal(streamed.bodyUsed, true);

  const json = new Response(ReadableStream.from([encode('{"k":'), encode("[1]}")]));
  assert.deepEqual(await json.json(), { k: [1] });
  const buffer = await new Response(ReadableStream.from([encode("xyz")])).arrayBuffer();
  assert.equal(buffer.byteLength, 3);
  await assert.rejects(new Response(ReadableStream.from(["not bytes"])).text(), TypeError, "chunks must be Uint8Array");
});

test("clone() tees a stream body; a locked or disturbed stream is refused", async () => {
  const original = new Response(ReadableStream.from([encode("twice")]));
  const copy = original.clone();
  assert.equal(await copy.text(), "twice");
  assert.equal(await original.text(), "twice");

  const locked = new ReadableStream();
  locked.getReader();
  assert.throws(() => new Response(locked), TypeError, "locked");
  const disturbed = ReadableStream.from([encode("x")]);
  await disturbed.getReader().read();
  assert.throws(() => new Response(disturbed), TypeError, "disturbed");

  const response = new Response(ReadableStream.from([encode("x")]));
  response.body.getReader();
  assert.equal(response.bodyUsed, false, "locked but not read");
  assert.throws(() => response.clone(), TypeError, "clone of a locked body");
  await assert.rejects(response.text(), TypeError, "text() of a locked body");
});

test("Request bodies: a stream needs no duplex (as in Workers); the body moves to a new Request", async () => {
  const stream = () => ReadableStream.from([encode("up")]);
  const plain = new Request("http://a/", { method: "POST", body: stream() });
  assert.equal(await plain.text(), "up", "no duplex member");
  assert.throws(() => new Request("http://a/", { method: "POST", body: stream(), duplex: "full" }), TypeError, "duplex other than half");
  const request = new Request("http://a/", { method: "POST", body: stream(), duplex: "half" });
  assert.ok(request.body instanceof ReadableStream);
  const moved = new Request(request);
  assert.equal(request.bodyUsed, true);
  assert.equal(await moved.text(), "up");
  // The proxy idiom: a Request as the init of another (its body read through init.body, a stream).
  const original = new Request("http://a/in", { method: "POST", body: stream(), headers: { "x-a": "1" } });
  const proxied = new Request("http://b/out", original);
  assert.equal(proxied.method, "POST");
  assert.equal(proxied.url, "http://b/out");
  assert.equal(proxied.headers.get("x-a"), "1");
  assert.equal(await proxied.text(), "up");
  assert.equal(original.bodyUsed, true, "the original's stream was read");
  const bytes = new Request("http://a/", { method: "PUT", body: "abc" });
  assert.equal(decode(await bytesOf(bytes.body)), "abc");
  assert.equal(new Request("http://a/").body, null);
});

test("a tenant replacing the globals does not change bodies", async () => {
  const saved = globalThis.ReadableStream;
  globalThis.ReadableStream = function Fake() {
    throw new Error("the fake was used");
  };
  try {
    const response = new Response("still works");
    assert.ok(response.body instanceof saved);
    assert.equal(decode(await bytesOf(response.body)), "still works");
  } finally {
    globalThis.ReadableStream = saved;
  }
});

// Issue 12 item 11: when `await writer.write()` settles on a transform nobody reads. The Streams
// spec (https://streams.spec.whatwg.org/#transformstream-set-up, the default strategies) gives
// the readable side a high-water mark of 0: a TransformStream starts with backpressure, and its
// first write waits for a read (as in Chromium and Deno; WPT encoding/streams/backpressure.any.js).
// A readable high-water mark of n lets n writes through unread. Cancelling the readable side or
// aborting the writable settles a waiting write (rejects it): it never hangs.
const writeState = (promise) => {
  let state = "pending";
  promise.then(() => { state = "resolved"; }, (e) => { state = `rejected:${e}`; });
  return () => state;
};
const ticks = () => new Promise((resolve) => setTimeout(resolve, 5));

test("TransformStream, CompressionStream, DecompressionStream: a write nobody reads waits for a read", async () => {
  const kinds = [
    ["TransformStream", () => new TransformStream(), "a"],
    ["CompressionStream", () => new CompressionStream("gzip"), new Uint8Array([1, 2, 3])],
    ["DecompressionStream", () => new DecompressionStream("deflate-raw"), new Uint8Array([3, 0])],
  ];
  for (const [name, make, chunk] of kinds) {
    const stream = make();
    const writer = stream.writable.getWriter();
    await ticks();
    const first = writeState(writer.write(chunk));
    await ticks();
    assert.equal(first(), "pending", `${name}: backpressure holds the first write`);
    assert.equal(writer.desiredSize, 0, `${name}: desiredSize`);
    const reader = stream.readable.getReader();
    const read = reader.read();
    await ticks();
    assert.equal(first(), "resolved", `${name}: a read relieves it`);
    if (name === "TransformStream") assert.equal((await read).value, "a");
  }
});

test("TransformStream with a readable high-water mark: that many writes complete unread", async () => {
  const stream = new TransformStream({}, undefined, { highWaterMark: 2 });
  const writer = stream.writable.getWriter();
  await ticks();
  const states = [writeState(writer.write("a")), writeState(writer.write("b")), writeState(writer.write("c"))];
  await ticks();
  assert.deepEqual(states.map((s) => s()), ["resolved", "resolved", "pending"]);
  const reader = stream.readable.getReader();
  assert.equal((await reader.read()).value, "a");
  await ticks();
  assert.equal(states[2](), "resolved", "one read makes room for the third");
  // writer.close() needs no reader: the readable side closes after its queue.
  const closed = writeState(writer.close());
  await ticks();
  assert.equal(closed(), "resolved");
});

test("a write waiting on a transform settles when the readable is cancelled or the writable aborted", async () => {
  const makers = [() => new TransformStream(), () => new TextEncoderStream(), () => new CompressionStream("deflate")];
  for (const make of makers) {
    const cancelled = make();
    const writer = cancelled.writable.getWriter();
    const write = writeState(writer.write(make === makers[0] ? "x" : make === makers[1] ? "x" : new Uint8Array(1)));
    await cancelled.readable.cancel("gone");
    await ticks();
    assert.equal(write(), "rejected:gone", "cancel rejects the waiting write");
    const aborted = make();
    const abortWriter = aborted.writable.getWriter();
    const abortWrite = writeState(abortWriter.write(make === makers[2] ? new Uint8Array(1) : "x"));
    await abortWriter.abort("stop");
    await ticks();
    assert.equal(abortWrite(), "rejected:stop", "abort rejects the waiting write");
  }
});

test("writes into a Response body's transform complete as the body is read", async () => {
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const writes = (async () => {
    for (let i = 0; i < 5; i++) await writer.write(new TextEncoder().encode(`${i}`));
    await writer.close();
    return "done";
  })();
  assert.equal(await new Response(readable).text(), "01234");
  assert.equal(await writes, "done");
});

test("zlib's memory is the tenant's: kept CompressionStreams stop at memory_mb", () => {
  // ~256 KB of zlib state each, outside the JS heap: 2,000 of them would be ~500 MB.
  const kept = [];
  let error = null;
  try {
    for (let i = 0; i < 2000; i++) kept.push(new CompressionStream("gzip"));
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TypeError, `no error after ${kept.length} streams`);
  assert.ok(kept.length < 2000, `${kept.length} streams held`);
  assert.ok(/memory_mb has no room/.test(error.message), error.message);
  kept.length = 0;  // freed when collected
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
