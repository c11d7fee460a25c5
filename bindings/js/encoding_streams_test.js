// TextEncoderStream and TextDecoderStream (https://encoding.spec.whatwg.org/#interface-textencoderstream).
import { test, assert, run } from "./testing/harness.js";

async function pipe(transform, chunks) {
  const out = [];
  const readable = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  }).pipeThrough(transform);
  for await (const chunk of readable) out.push(chunk);
  return out;
}

const join = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
};

test("shape", () => {
  const encoder = new TextEncoderStream();
  assert.equal(encoder.encoding, "utf-8");
  assert.ok(encoder.readable instanceof ReadableStream);
  assert.ok(encoder.writable instanceof WritableStream);
  const decoder = new TextDecoderStream("utf-16le", { fatal: true, ignoreBOM: true });
  assert.equal(decoder.encoding, "utf-16le");
  assert.equal(decoder.fatal, true);
  assert.equal(decoder.ignoreBOM, true);
  assert.throws(() => new TextDecoderStream("bogus"), RangeError);
  assert.equal(Object.prototype.toString.call(encoder), "[object TextEncoderStream]");
});

test("TextEncoderStream", async () => {
  const chunks = await pipe(new TextEncoderStream(), ["a€", "", "b"]);
  assert.deepEqual(join(chunks), new TextEncoder().encode("a€b"));
  assert.equal(chunks.length, 2, "an empty chunk produces nothing");
  const split = await pipe(new TextEncoderStream(), ["x\uD83D", "\uDE00y"]);
  assert.deepEqual(join(split), new TextEncoder().encode("x😀y"), "a surrogate pair split across chunks");
  const lone = await pipe(new TextEncoderStream(), ["z\uD83D"]);
  assert.deepEqual(join(lone), new Uint8Array([0x7a, 0xef, 0xbf, 0xbd]), "a lone lead at the end");
  const numbers = await pipe(new TextEncoderStream(), [12]);
  assert.deepEqual(join(numbers), new Uint8Array([0x31, 0x32]));
});

test("TextDecoderStream", async () => {
  const bytes = new TextEncoder().encode("h€llo 😀");
  const pieces = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
  assert.equal((await pipe(new TextDecoderStream(), pieces)).join(""), "h€llo 😀");
  assert.equal((await pipe(new TextDecoderStream(), [new Uint8Array([0xef, 0xbb, 0xbf, 0x41])])).join(""), "A");
  assert.equal((await pipe(new TextDecoderStream(), [new Uint8Array([0xe2, 0x82])])).join(""), "\uFFFD", "truncated at the end");
  assert.equal((await pipe(new TextDecoderStream("utf-16be"), [new Uint8Array([0, 0x41, 0])  , new Uint8Array([0x42])])).join(""), "AB");
  await assert.rejects(pipe(new TextDecoderStream("utf-8", { fatal: true }), [new Uint8Array([0xff])]), TypeError);
  await assert.rejects(pipe(new TextDecoderStream(), ["not bytes"]), TypeError);
});

test("through a body", async () => {
  const response = new Response(new ReadableStream({
    start(controller) {
      controller.enqueue("streamed ");
      controller.enqueue("text");
      controller.close();
    },
  }).pipeThrough(new TextEncoderStream()));
  let text = "";
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) text += chunk;
  assert.equal(text, "streamed text");
  assert.equal(response.bodyUsed, true);
});

// Issue 12 item 11, as WPT encoding/streams/backpressure.any.js: TextEncoderStream and
// TextDecoderStream are TransformStreams set up with the Streams spec's default strategies, so a
// write completes only once a read relieves the backpressure (Chromium and Deno alike).
for (const [Class, input] of [[TextDecoderStream, new Uint8Array([65])], [TextEncoderStream, "A"]]) {
  test(`${Class.name}: write() completes after the read that relieves backpressure`, async () => {
    const stream = new Class();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const events = [];
    await new Promise((resolve) => setTimeout(resolve, 0));
    const write = writer.write(input);
    write.then(() => events.push("write"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    events.push("paused");
    await reader.read();
    events.push("read");
    await write;
    assert.deepEqual(events, ["paused", "read", "write"]);
  });
}

export default {
  async fetch() {
    return Response.json(await run());
  },
};
