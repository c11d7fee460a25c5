// node:stream, node:stream/promises, node:stream/web and node:string_decoder under nodejs_compat
// (readable-stream 4.7.0, string_decoder 1.3.0).
import { test, assert, run } from "./testing/harness.js";
import { Readable, Writable, Transform, PassThrough, pipeline } from "node:stream";
import { pipeline as pipelineAsync, finished } from "node:stream/promises";
import { ReadableStream } from "node:stream/web";
import { StringDecoder } from "node:string_decoder";

function collect() {
  const chunks = [];
  const sink = new Writable({
    write(chunk, encoding, callback) {
      chunks.push(Buffer.from(chunk).toString());
      callback();
    },
  });
  return { sink, chunks };
}

test("Readable.from + Transform + pipeline (promises)", async () => {
  const upper = new Transform({
    transform(chunk, encoding, callback) {
      callback(null, String(chunk).toUpperCase());
    },
  });
  const { sink, chunks } = collect();
  await pipelineAsync(Readable.from(["a", "b", "c"]), upper, sink);
  assert.deepEqual(chunks, ["A", "B", "C"]);
});

test("pipeline with a callback reports a failing stage", async () => {
  const failing = new Transform({
    transform(chunk, encoding, callback) {
      callback(new Error("stage failed"));
    },
  });
  const error = await new Promise((resolve) => pipeline(Readable.from(["x"]), failing, new PassThrough(), resolve));
  assert.equal(error?.message, "stage failed");
});

test("async iteration of a Readable, and finished()", async () => {
  const readable = new Readable({ read() {} });
  readable.push("one");
  readable.push("two");
  readable.push(null);
  const got = [];
  for await (const chunk of readable) got.push(String(chunk));
  assert.equal(got.join(""), "onetwo", "what was buffered comes out (as one chunk, as in Node)");
  const objects = [];
  for await (const item of Readable.from([{ n: 1 }, { n: 2 }])) objects.push(item.n);
  assert.deepEqual(objects, [1, 2], "Readable.from is in object mode");
  const pass = new PassThrough();
  pass.end("x");
  pass.resume();
  await finished(pass);
  assert.ok(pass.writableFinished);
});

test("node:stream/web is the global classes", () => {
  assert.equal(ReadableStream, globalThis.ReadableStream);
});

test("Readable.fromWeb / toWeb and Writable.fromWeb / toWeb: bodies in and out", async () => {
  const { sink, chunks } = collect();
  await pipelineAsync(Readable.fromWeb(new Response("hello body").body), sink);
  assert.equal(chunks.join(""), "hello body");
  const response = new Response(Readable.toWeb(Readable.from(["a", Buffer.from("b"), "c"])));
  assert.equal(await response.text(), "abc");
  const parts = [];
  const web = new WritableStream({ write(chunk) { parts.push(String(chunk)); } });
  await pipelineAsync(Readable.from(["x", "y"]), Writable.fromWeb(web, { objectMode: true }));
  assert.deepEqual(parts, ["x", "y"]);
  const node = collect();
  const writer = Writable.toWeb(node.sink).getWriter();
  await writer.write(new TextEncoder().encode("z"));
  await writer.close();
  assert.deepEqual(node.chunks, ["z"]);
});

test("StringDecoder holds a UTF-8 character split across chunks", () => {
  const decoder = new StringDecoder("utf8");
  const euro = Buffer.from("a€b");
  assert.equal(decoder.write(euro.subarray(0, 2)), "a");
  assert.equal(decoder.write(euro.subarray(2, 3)), "");
  assert.equal(decoder.write(euro.subarray(3)), "€b");
  assert.equal(decoder.end(Buffer.from([0xe2])), "\ufffd");
  const hex = new StringDecoder("hex");
  assert.equal(hex.write(Buffer.from([1, 255])), "01ff");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
