// The Cache API (caches, bindings/cache_api.h, js/lazy/cache.js) in one tenant: its shape, the
// refusals of put(), freshness, Vary, 304 and 206. Origins, tenant partitioning, the size cap and
// sharing between workers are in tests/cache_api_test.cc.
import { test, assert, run } from "./testing/harness.js";

const fresh = (body, headers = {}) => new Response(body, { headers: { "cache-control": "max-age=60", ...headers } });

test("shape", async () => {
  assert.equal(Object.prototype.toString.call(caches), "[object CacheStorage]");
  assert.equal(Object.prototype.toString.call(caches.default), "[object Cache]");
  assert.equal(caches.default, caches.default);
  assert.ok(caches.open("x") instanceof Promise);
  assert.equal(await caches.open("x"), await caches.open("x"));
  for (const name of ["match", "put", "delete"]) assert.equal(typeof caches.default[name], "function", name);
  assert.throws(() => new caches.default.constructor(), TypeError);
  assert.throws(() => new caches.constructor(), TypeError);
});

test("put refuses non-GET, 206 and Vary: *", async () => {
  const c = await caches.open("refusals");
  await assert.rejects(c.put(new Request("https://t.test/", { method: "POST" }), fresh("x")), TypeError);
  await assert.rejects(c.put("https://t.test/", new Response("x", { status: 206 })), TypeError);
  await assert.rejects(c.put("https://t.test/", fresh("x", { vary: "Accept, *" })), TypeError);
  await assert.rejects(c.put("https://t.test/", "not a response"), TypeError);
});

test("match, delete, ignoreMethod", async () => {
  const c = await caches.open("basic");
  assert.equal(await c.match("https://t.test/a"), undefined);
  assert.equal(await c.put(new URL("https://t.test/a"), fresh("A", { "x-mine": "1" })), undefined);
  const hit = await c.match("https://t.test/a");
  assert.equal(hit.status, 200);
  assert.equal(await hit.text(), "A");
  assert.equal(hit.headers.get("x-mine"), "1");
  assert.equal(hit.headers.get("cf-cache-status"), "HIT");
  assert.equal(await c.match("https://t.test/a#fragment") !== undefined, true);
  assert.equal(await c.match(new Request("https://t.test/a", { method: "HEAD" })), undefined);
  assert.ok(await c.match(new Request("https://t.test/a", { method: "HEAD" }), { ignoreMethod: true }));
  assert.equal(await c.delete(new Request("https://t.test/a", { method: "POST" })), false);
  assert.equal(await c.delete("https://t.test/a"), true);
  assert.equal(await c.delete("https://t.test/a"), false);
  assert.equal(await c.match("https://t.test/a"), undefined);
});

test("what is not stored", async () => {
  const c = await caches.open("unstored");
  const cases = {
    "set-cookie": fresh("x", { "set-cookie": "a=b" }),
    "no-store": new Response("x", { headers: { "cache-control": "no-store" } }),
    "no-cache": new Response("x", { headers: { "cache-control": "no-cache, max-age=60" } }),
    "private": new Response("x", { headers: { "cache-control": "private, max-age=60" } }),
    "max-age=0": new Response("x", { headers: { "cache-control": "max-age=0" } }),
    "s-maxage=0": new Response("x", { headers: { "cache-control": "max-age=60, s-maxage=0" } }),
    "expired": new Response("x", { headers: { expires: "Thu, 01 Jan 1970 00:00:00 GMT" } }),
    "500 without freshness": new Response("x", { status: 500 }),
  };
  for (const [name, response] of Object.entries(cases)) {
    await c.put(`https://t.test/${name}`, response);
    assert.equal(await c.match(`https://t.test/${name}`), undefined, name);
  }
  await c.put("https://t.test/default-ttl", new Response("200s get Cloudflare's default TTL"));
  assert.ok(await c.match("https://t.test/default-ttl"));
});

test("Vary", async () => {
  const c = await caches.open("vary");
  const req = (lang) => new Request("https://t.test/v", { headers: lang ? { "accept-language": lang } : {} });
  await c.put(req("fr"), fresh("fr", { vary: "Accept-Language" }));
  assert.ok(await c.match(req("fr")));
  assert.equal(await c.match(req("en")), undefined);
  assert.equal(await c.match(req()), undefined);
});

test("304 and 206", async () => {
  const c = await caches.open("conditional");
  await c.put("https://t.test/c", fresh("0123456789", { etag: 'W/"e1"', "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT" }));
  const get = (headers) => c.match(new Request("https://t.test/c", { headers }));
  assert.equal((await get({ "if-none-match": '"e1"' })).status, 304);
  assert.equal((await get({ "if-none-match": '"x", W/"e1"' })).status, 304);
  assert.equal((await get({ "if-none-match": '"x"' })).status, 200);
  assert.equal((await get({ "if-modified-since": "Wed, 21 Oct 2015 07:28:00 GMT" })).status, 304);
  assert.equal((await get({ "if-modified-since": "Tue, 20 Oct 2015 07:28:00 GMT" })).status, 200);
  const part = await get({ range: "bytes=2-4" });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), "234");
  assert.equal(part.headers.get("content-range"), "bytes 2-4/10");
  assert.equal(await (await get({ range: "bytes=7-" })).text(), "789");
  assert.equal((await get({ range: "bytes=10-" })).status, 416);
  assert.equal((await get({ range: "bytes=0-1,3-4" })).status, 200);  // several ranges: the whole body
});

test("a ReadableStream body is read fully", async () => {
  const c = await caches.open("stream");
  const chunks = ["ab", "cd", "ef"];
  const body = new ReadableStream({ pull(ctl) { chunks.length ? ctl.enqueue(new TextEncoder().encode(chunks.shift())) : ctl.close(); } });
  const response = fresh(body);
  await c.put("https://t.test/s", response);
  assert.ok(response.bodyUsed);
  assert.equal(await (await c.match("https://t.test/s")).text(), "abcdef");
});

test("an endless body stops at the per-entry limit and is not stored", async () => {
  const c = await caches.open("endless");
  const chunk = new Uint8Array(1 << 20);  // the same MiB again and again: no memory grows
  let pulls = 0;
  const body = new ReadableStream({ pull(ctl) { pulls++; ctl.enqueue(chunk); } });
  await c.put("https://t.test/endless", fresh(body));
  assert.equal(await c.match("https://t.test/endless"), undefined);
  assert.ok(pulls > 32 && pulls < 40, `pulled ${pulls} MiB`);
});

export default {
  async fetch(request, env) {
    return Response.json(await run());
  },
};
