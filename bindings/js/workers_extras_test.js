// Cloudflare Workers' extensions: crypto.subtle.timingSafeEqual, MD5 digests, crypto.DigestStream,
// IdentityTransformStream, FixedLengthStream, scheduler.wait, ReadableStreamBYOBReader.readAtLeast
// (js/lazy/crypto.js, js/lazy/workers_streams.js, js/lazy/scheduler.js, js/lazy/streams.js) and
// KV bulk reads (js/lazy/kv.js; env.STORE is bound by tests/js_api_test.cc).
import { test, assert, run } from "./testing/harness.js";

let STORE;
const encode = (s) => new TextEncoder().encode(s);
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

test("crypto.subtle.timingSafeEqual", () => {
  assert.equal(crypto.subtle.timingSafeEqual(encode("secret"), encode("secret")), true);
  assert.equal(crypto.subtle.timingSafeEqual(encode("secret"), encode("secreT")), false);
  assert.equal(crypto.subtle.timingSafeEqual(encode("ab").buffer, new DataView(encode("ab").buffer)), true);
  assert.equal(crypto.subtle.timingSafeEqual(new ArrayBuffer(0), new Uint8Array(0)), true);
  assert.throws(() => crypto.subtle.timingSafeEqual(encode("a"), encode("ab")), TypeError);
  assert.throws(() => crypto.subtle.timingSafeEqual("a", "a"), TypeError);
});

test("MD5 in crypto.subtle.digest, and only there", async () => {
  assert.equal(hex(await crypto.subtle.digest("MD5", encode("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  assert.equal(hex(await crypto.subtle.digest({ name: "md5" }, new Uint8Array(0))), "d41d8cd98f00b204e9800998ecf8427e");
  await assert.rejects(
    crypto.subtle.importKey("raw", new Uint8Array(16), { name: "HMAC", hash: "MD5" }, false, ["sign"]),
    "NotSupportedError");
});

test("crypto.DigestStream", async () => {
  assert.equal(typeof crypto.DigestStream, "function");
  const stream = new crypto.DigestStream("SHA-256");
  assert.ok(stream instanceof WritableStream);
  const writer = stream.getWriter();
  await writer.write(encode("ab"));
  await writer.write(encode("c").buffer);
  await writer.close();
  assert.equal(hex(await stream.digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const md5 = new crypto.DigestStream({ name: "MD5" });
  await new Blob(["a", "bc"]).stream().pipeTo(md5);
  assert.equal(hex(await md5.digest), "900150983cd24fb0d6963f7d28e17f72");
  assert.throws(() => new crypto.DigestStream("SHA-3"), "NotSupportedError");
  const bad = new crypto.DigestStream("SHA-1");
  await assert.rejects(bad.getWriter().write("text"), TypeError);
  await assert.rejects(bad.digest, TypeError);
});

test("IdentityTransformStream passes bytes through, to BYOB readers too", async () => {
  const identity = new IdentityTransformStream();
  assert.ok(identity instanceof TransformStream);
  assert.ok(new FixedLengthStream(1) instanceof TransformStream);
  const { readable, writable } = identity;
  const writer = writable.getWriter();
  const wrote = (async () => {
    await writer.write(encode("hello "));
    await writer.write(new Uint16Array([0x6f77, 0x6c72]));  // "world" little-endian pieces
    await writer.close();
  })();
  const text = await new Response(readable).text();
  await wrote;
  assert.equal(text, "hello worl");
  const piped = new Blob(["pi", "ped"]).stream().pipeThrough(new IdentityTransformStream());
  assert.equal(await new Response(piped).text(), "piped");
  const second = new IdentityTransformStream();
  const reader = second.readable.getReader({ mode: "byob" });
  const w2 = second.writable.getWriter();
  w2.write(encode("abcdef"));
  const { value } = await reader.read(new Uint8Array(4));
  assert.equal(new TextDecoder().decode(value), "abcd");
  await assert.rejects(new IdentityTransformStream().writable.getWriter().write("a string"), TypeError);
});

test("FixedLengthStream checks the byte count and gives Responses a Content-Length", async () => {
  assert.throws(() => new FixedLengthStream(), TypeError);
  assert.throws(() => new FixedLengthStream(-1), TypeError);
  const exact = new FixedLengthStream(5);
  const writer = exact.writable.getWriter();
  const done = writer.write(encode("12345")).then(() => writer.close());
  assert.equal(await new Response(exact.readable).text(), "12345");
  await done;
  const tooMany = new FixedLengthStream(2);
  const w = tooMany.writable.getWriter();
  const read = new Response(tooMany.readable).text();
  await assert.rejects(w.write(encode("abc")), TypeError);
  await assert.rejects(read, TypeError);
  const tooFew = new FixedLengthStream(4);
  const w3 = tooFew.writable.getWriter();
  const read3 = new Response(tooFew.readable).arrayBuffer();
  await w3.write(encode("ab"));
  await assert.rejects(w3.close(), TypeError);
  await assert.rejects(read3, TypeError);
});

test("scheduler.wait", async () => {
  assert.equal(Object.prototype.toString.call(scheduler), "[object Scheduler]");
  const start = Date.now();
  assert.equal(await scheduler.wait(20), undefined);
  assert.ok(Date.now() - start >= 15, "waited");
  const controller = new AbortController();
  const waiting = scheduler.wait(10000, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, Error);
});

test("ReadableStreamBYOBReader.readAtLeast", async () => {
  const chunks = ["ab", "cd", "ef"];
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = chunks.shift();
      if (next !== undefined) {
        controller.enqueue(encode(next));
        return;
      }
      controller.close();
      controller.byobRequest?.respond(0);
    },
  });
  const reader = stream.getReader({ mode: "byob" });
  const first = await reader.readAtLeast(3, new Uint8Array(8));
  assert.equal(first.done, false);
  assert.ok(first.value.byteLength >= 3, "at least 3 bytes");
  assert.equal(new TextDecoder().decode(first.value), "abcd");
  await assert.rejects(reader.readAtLeast(9, new Uint8Array(8)), TypeError);
  await assert.rejects(reader.readAtLeast(0, new Uint8Array(8)), TypeError);
  const rest = await reader.readAtLeast(4, new Uint8Array(8));
  assert.equal(new TextDecoder().decode(rest.value), "ef", "the stream ended first");
  assert.equal(rest.done, true);
});

test("KV bulk get and getWithMetadata", async () => {
  await STORE.put("bulk-a", "1");
  await STORE.put("bulk-b", '{"n":2}', { metadata: { m: true } });
  await STORE.put("bulk-text", "not json");
  const texts = await STORE.get(["bulk-a", "bulk-b", "bulk-missing"]);
  assert.ok(texts instanceof Map);
  assert.deepEqual([...texts], [["bulk-a", "1"], ["bulk-b", '{"n":2}'], ["bulk-missing", null]]);
  const json = await STORE.get(["bulk-a", "bulk-b"], { type: "json", cacheTtl: 100 });
  assert.deepEqual(json.get("bulk-b"), { n: 2 });
  assert.equal((await STORE.get(["bulk-a"], "json")).get("bulk-a"), 1);
  const meta = await STORE.getWithMetadata(["bulk-b", "bulk-a", "bulk-missing"]);
  assert.deepEqual(meta.get("bulk-b"), { value: '{"n":2}', metadata: { m: true } });
  assert.deepEqual(meta.get("bulk-a"), { value: "1", metadata: null });
  assert.equal(meta.get("bulk-missing"), null);
  assert.deepEqual((await STORE.getWithMetadata(["bulk-b"], "json")).get("bulk-b").value, { n: 2 });
  await assert.rejects(STORE.get(["bulk-text", "bulk-a"], "json"), /non-json value/);
  await assert.rejects(STORE.get(["bulk-a"], "arrayBuffer"), /"arrayBuffer" is not a valid type/);
  await assert.rejects(STORE.get(["bulk-a"], "stream"), /"stream" is not a valid type/);
  await assert.rejects(STORE.get([]), /minimum of 1 key/);
  await assert.rejects(STORE.get(Array.from({ length: 101 }, (_, i) => `k${i}`)), /maximum of 100 keys/);
  assert.equal((await STORE.get(Array.from({ length: 100 }, (_, i) => `k${i}`))).size, 100);
});

test("KV deleteBulk", async () => {
  await STORE.put("del-1", "x");
  await STORE.put("del-2", "x");
  await STORE.put("del-3", "x");
  assert.equal(await STORE.deleteBulk(["del-1", "del-2", "never-there"]), undefined);
  assert.equal(await STORE.deleteBulk("del-3"), undefined);
  assert.deepEqual([...await STORE.get(["del-1", "del-2", "del-3"])], [["del-1", null], ["del-2", null], ["del-3", null]]);
  await STORE.put("del-4", "kept");
  await assert.rejects(STORE.deleteBulk(Array.from({ length: 101 }, (_, i) => (i ? `k${i}` : "del-4"))),
    /maximum of 100 keys/);
  assert.equal(await STORE.get("del-4"), "kept", "nothing deleted when the list is too long");
});

export default {
  async fetch(request, env) {
    STORE = env.STORE;
    return Response.json(await run());
  },
};
