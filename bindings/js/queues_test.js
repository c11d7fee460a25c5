// Queues' producer (env.Q, js/lazy/queues.js): what send() and sendBatch() accept and refuse.
// tests/js_api_test.cc binds Q to queue "js-test", which has no consumer here (its messages
// wait); delivery, retries, dead letters and durability are in tests/queues_test.cc.
import { test, assert, run } from "./testing/harness.js";

let Q;

test("send and sendBatch take any structured-clone value and resolve once stored", async () => {
  assert.equal(await Q.send({ when: new Date(0), tags: new Map([["a", 1]]) }), undefined);
  await Q.send("text", { contentType: "text" });
  await Q.send(new Uint8Array([1, 2, 3]), { contentType: "bytes", delaySeconds: 5 });
  await Q.send({ a: 1 }, { contentType: "json" });
  await Q.sendBatch([{ body: 1 }, { body: "two", contentType: "text" }, { body: [3], delaySeconds: 1 }], { delaySeconds: 2 });
  // A small view of a large buffer is its own bytes, not the buffer's 1 MB.
  await Q.send(new Uint8Array(new ArrayBuffer(1 << 20), 10, 5), { contentType: "bytes" });
  // Any iterable.
  await Q.sendBatch(new Set([{ body: "a" }, { body: "b" }]));
});

test("what a queue refuses, before anything is sent", async () => {
  await assert.rejects(Q.send(() => 1), Error, "could not be cloned");
  await assert.rejects(Q.send(1, { contentType: "text" }), TypeError, "must be a string");
  await assert.rejects(Q.send("x", { contentType: "bytes" }), TypeError, "ArrayBuffer");
  await assert.rejects(Q.send(undefined, { contentType: "json" }), TypeError, "JSON-serializable");
  await assert.rejects(Q.send(1, { contentType: "yaml" }), TypeError, "contentType must be one of json, text, bytes, v8");
  await assert.rejects(Q.send(1, { delaySeconds: 43201 }), RangeError, "delaySeconds");
  await assert.rejects(Q.send(1, { delaySeconds: -1 }), RangeError, "delaySeconds");
  await assert.rejects(Q.send("x".repeat(128 * 1024 + 1)), RangeError, "above the 128 KB limit");
  await assert.rejects(Q.sendBatch([]), TypeError, "1 to 100 messages");
  await assert.rejects(Q.sendBatch(Array.from({ length: 101 }, () => ({ body: 1 }))), TypeError, "1 to 100 messages");
  await assert.rejects(Q.sendBatch([1]), TypeError, "{ body, contentType?, delaySeconds? }");
  const big = "x".repeat(100 * 1024);
  await assert.rejects(Q.sendBatch([{ body: big }, { body: big }, { body: big }]), RangeError, "above the 256 KB limit");
});

test("a producer is not a constructor's to make", () => {
  assert.throws(() => new Q.constructor(), TypeError, "Illegal constructor");
  assert.equal(typeof Q.send, "function");
  assert.equal(typeof Q.sendBatch, "function");
});

export default {
  async fetch(request, env) {
    Q = env.Q;
    return Response.json(await run());
  },
};
