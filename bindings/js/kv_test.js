// KV namespaces (env.STORE, bindings/kv.h, js/lazy/kv.js): Cloudflare Workers KV semantics.
// tests/js_api_test.cc binds STORE to a fresh namespace for every JS test file; durability,
// expiry over time and sharing between tenants are in tests/kv_namespace_test.cc.
import { test, assert, run } from "./testing/harness.js";

let STORE;

test("shape", () => {
  assert.equal(Object.prototype.toString.call(STORE), "[object KVNamespace]");
  for (const name of ["get", "getWithMetadata", "put", "delete", "list"]) {
    assert.equal(typeof STORE[name], "function", name);
  }
  assert.ok(STORE.get("x") instanceof Promise, "methods return promises");
  assert.throws(() => new STORE.constructor(), TypeError);
});

test("put, get, overwrite, delete", async () => {
  assert.equal(await STORE.get("missing"), null);
  assert.equal(await STORE.put("a", "one"), undefined);
  assert.equal(await STORE.get("a"), "one");
  await STORE.put("a", "two");
  assert.equal(await STORE.get("a"), "two");
  assert.equal(await STORE.delete("a"), undefined);
  assert.equal(await STORE.get("a"), null);
  await STORE.delete("never-there");
  await STORE.put(42, "number key");
  assert.equal(await STORE.get("42"), "number key", "keys are converted to strings");
});

test("writes are visible to the next read without awaiting the put", async () => {
  const put = STORE.put("eager", "x");
  assert.equal(await STORE.get("eager"), "x");
  await put;
});

test("value types in and out", async () => {
  await STORE.put("text", "héllo ☃");
  assert.equal(await STORE.get("text", "text"), "héllo ☃");
  assert.equal(await STORE.get("text", { type: "text", cacheTtl: 60 }), "héllo ☃");
  const bytes = new Uint8Array(await STORE.get("text", "arrayBuffer"));
  assert.deepEqual(Array.from(bytes), Array.from(new TextEncoder().encode("héllo ☃")));

  await STORE.put("json", JSON.stringify({ a: [1, 2], b: "c" }));
  assert.deepEqual(await STORE.get("json", "json"), { a: [1, 2], b: "c" });
  assert.deepEqual(await STORE.get("json", { type: "json" }), { a: [1, 2], b: "c" });
  await STORE.put("not-json", "{");
  await assert.rejects(STORE.get("not-json", "json"), SyntaxError);

  await STORE.put("buffer", new Uint8Array([0, 1, 255]).buffer);
  assert.deepEqual(Array.from(new Uint8Array(await STORE.get("buffer", "arrayBuffer"))), [0, 1, 255]);
  const view = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4);
  await STORE.put("view", view);
  assert.deepEqual(Array.from(new Uint8Array(await STORE.get("view", "arrayBuffer"))), [8, 7, 6]);
  await STORE.put("dataview", new DataView(new Uint8Array([65, 66]).buffer));
  assert.equal(await STORE.get("dataview"), "AB");

  const stream = await STORE.get("text", "stream");
  assert.ok(stream instanceof ReadableStream, "stream type gives a ReadableStream");
  assert.equal(await new Response(stream).text(), "héllo ☃");
  assert.equal(await STORE.get("missing", "stream"), null);

  await STORE.put("from-stream", new Blob(["chunk one, ", "chunk two"]).stream());
  assert.equal(await STORE.get("from-stream"), "chunk one, chunk two");
  const empty = new ReadableStream({ start(c) { c.close(); } });
  await STORE.put("empty-stream", empty);
  assert.equal(await STORE.get("empty-stream"), "");
  await STORE.put("empty", "");
  assert.equal(await STORE.get("empty"), "");

  await assert.rejects(STORE.put("bad", { an: "object" }), TypeError);
  await assert.rejects(STORE.put("bad", 12), TypeError);
  await assert.rejects(STORE.get("text", "blob"), TypeError);
  const used = new Blob(["x"]).stream();
  used.getReader();
  await assert.rejects(STORE.put("bad", used), TypeError);
});

test("metadata", async () => {
  await STORE.put("m", "value", { metadata: { owner: "me", n: 1 } });
  assert.deepEqual(await STORE.getWithMetadata("m"), { value: "value", metadata: { owner: "me", n: 1 }, cacheStatus: null });
  const asBytes = await STORE.getWithMetadata("m", "arrayBuffer");
  assert.equal(new TextDecoder().decode(asBytes.value), "value");
  await STORE.put("m", "again");
  assert.deepEqual(await STORE.getWithMetadata("m"), { value: "again", metadata: null, cacheStatus: null });
  assert.deepEqual(await STORE.getWithMetadata("nope"), { value: null, metadata: null, cacheStatus: null });
  const error = await assert.rejects(STORE.put("m", "v", { metadata: { big: "x".repeat(1020) } }), RangeError);
  assert.ok(error.message.includes("1024"), error.message);
  await STORE.put("m", "v", { metadata: { fits: "x".repeat(1000) } });
});

test("limits on keys and values name the limit", async () => {
  let error = await assert.rejects(STORE.put("", "v"), TypeError);
  assert.ok(error.message.includes("empty"), error.message);
  await assert.rejects(STORE.get(""), TypeError);
  await assert.rejects(STORE.put(".", "v"), TypeError);
  await assert.rejects(STORE.put("..", "v"), TypeError);
  await STORE.put("k".repeat(512), "max key");
  assert.equal(await STORE.get("k".repeat(512)), "max key");
  error = await assert.rejects(STORE.put("k".repeat(513), "v"), RangeError);
  assert.ok(error.message.includes("512"), error.message);
  error = await assert.rejects(STORE.get("é".repeat(257)), RangeError, "514 UTF-8 bytes");
  await assert.rejects(STORE.delete("k".repeat(600)), RangeError);

  const limit = 25 * 1024 * 1024;
  await STORE.put("big", new Uint8Array(limit));
  assert.equal((await STORE.get("big", "arrayBuffer")).byteLength, limit);
  await STORE.delete("big");
  error = await assert.rejects(STORE.put("big", new Uint8Array(limit + 1)), RangeError);
  assert.ok(error.message.includes("25 MiB"), error.message);
  await assert.rejects(STORE.put("big", "é".repeat(limit / 2 + 1)), RangeError, "a string over 25 MiB in UTF-8");
  assert.equal(await STORE.get("big"), null);
});

test("expiration options", async () => {
  const now = Math.floor(Date.now() / 1000);
  await STORE.put("ttl", "v", { expirationTtl: 3600 });
  let { keys } = await STORE.list({ prefix: "ttl" });
  assert.equal(keys.length, 1);
  assert.ok(Math.abs(keys[0].expiration - (now + 3600)) <= 5, `expiration ${keys[0].expiration} ~ now + 3600`);
  await STORE.put("abs", "v", { expiration: now + 7200 });
  ({ keys } = await STORE.list({ prefix: "abs" }));
  assert.equal(keys[0].expiration, now + 7200);
  assert.equal(await STORE.get("abs"), "v");
  let error = await assert.rejects(STORE.put("ttl", "v", { expirationTtl: 59 }), RangeError);
  assert.ok(error.message.includes("60"), error.message);
  error = await assert.rejects(STORE.put("abs", "v", { expiration: now - 10 }), RangeError);
  assert.ok(error.message.includes("60 seconds"), error.message);
  await assert.rejects(STORE.put("ttl", "v", { expirationTtl: "soon" }), TypeError);
  await STORE.put("ttl", "no expiry now");
  ({ keys } = await STORE.list({ prefix: "ttl" }));
  assert.equal(keys[0].expiration, undefined, "a put without expiration clears it");
});

test("list: order, prefix, limit and cursor pagination", async () => {
  const names = [];
  for (let i = 0; i < 1205; i++) names.push(`page/${String(i).padStart(4, "0")}`);
  await Promise.all(names.map((name, i) => STORE.put(name, "v", i === 3 ? { metadata: { third: true } } : undefined)));
  await STORE.put("pagf", "after the prefix");
  await STORE.put("pag", "before the prefix");

  let result = await STORE.list({ prefix: "page/" });
  assert.equal(result.keys.length, 1000, "the default limit is 1000");
  assert.equal(result.list_complete, false);
  assert.equal(typeof result.cursor, "string");
  assert.deepEqual(result.keys[3], { name: "page/0003", metadata: { third: true } });
  assert.deepEqual(result.keys[4], { name: "page/0004" });
  const seen = result.keys.map((k) => k.name);
  result = await STORE.list({ prefix: "page/", cursor: result.cursor });
  assert.equal(result.keys.length, 205);
  assert.equal(result.list_complete, true);
  assert.equal(result.cursor, undefined);
  seen.push(...result.keys.map((k) => k.name));
  assert.deepEqual(seen, names, "every key once, in order");

  const pages = [];
  let cursor;
  do {
    result = await STORE.list({ prefix: "page/00", limit: 30, cursor });
    assert.ok(result.keys.length <= 30);
    pages.push(...result.keys.map((k) => k.name));
    cursor = result.cursor;
  } while (!result.list_complete);
  assert.deepEqual(pages, names.slice(0, 100));

  result = await STORE.list({ prefix: "page/1", limit: 2 });
  assert.deepEqual(result.keys.map((k) => k.name), ["page/1000", "page/1001"]);
  result = await STORE.list({ prefix: "nothing-here" });
  assert.deepEqual(result, { keys: [], list_complete: true, cacheStatus: null });
  const all = await STORE.list();
  assert.ok(all.keys.length === 1000 && !all.list_complete, "no options lists everything");
  const sorted = all.keys.map((k) => k.name);
  assert.deepEqual(sorted, [...sorted].sort(), "byte order");

  await assert.rejects(STORE.list({ limit: 1001 }), RangeError);
  await assert.rejects(STORE.list({ limit: 0 }), RangeError);
  await assert.rejects(STORE.list({ cursor: "not a cursor!" }), TypeError);
});

export default {
  async fetch(request, env) {
    STORE = env.STORE;
    return Response.json(await run());
  },
};
