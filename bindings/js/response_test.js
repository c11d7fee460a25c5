// Response (https://fetch.spec.whatwg.org/#response-class) and the body mixin on it.
import { test, assert, run } from "./testing/harness.js";

test("shape", () => {
  assert.equal(Object.prototype.toString.call(new Response()), "[object Response]");
  assert.equal(Response.length, 0);
  assert.equal(Response.json.length, 1);
  assert.equal(Response.redirect.length, 1);
  assert.throws(() => Response(), TypeError, "needs new");
  const keys = Object.keys(Response.prototype);
  for (const k of ["type", "url", "redirected", "status", "ok", "statusText", "headers", "clone", "body", "bodyUsed", "text", "json", "arrayBuffer"]) {
    assert.ok(keys.includes(k), `Response.prototype.${k}`);
  }
  assert.ok(Object.keys(Response).includes("json"), "static operations enumerable");
  assert.deepEqual(Object.getOwnPropertyNames(new Response("x")), [], "no visible own state");
});

test("defaults", async () => {
  const r = new Response();
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(r.statusText, "");
  assert.equal(r.type, "default");
  assert.equal(r.url, "");
  assert.equal(r.redirected, false);
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
  assert.deepEqual([...r.headers], []);
  assert.equal(await r.text(), "");
  assert.equal(r.bodyUsed, false, "null body is never used");
  assert.equal(new Response(undefined).body, null);
  assert.equal(new Response(null, undefined).status, 200);
});

test("string body", async () => {
  const r = new Response("hello");
  assert.equal(r.headers.get("content-type"), "text/plain;charset=UTF-8");
  assert.equal(r.headers, r.headers, "same Headers object");
  assert.equal(await r.text(), "hello");
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError, "double read");
  await assert.rejects(r.json(), TypeError);
  await assert.rejects(r.arrayBuffer(), TypeError);
  const typed = new Response("x", { headers: { "Content-Type": "text/html" } });
  assert.deepEqual([...typed.headers], [["content-type", "text/html"]], "explicit content-type wins");
  const appended = new Response("x", { headers: [["x-a", "1"]] });
  assert.deepEqual([...appended.headers], [["content-type", "text/plain;charset=UTF-8"], ["x-a", "1"]]);
  assert.equal(await new Response("").text(), "");
  assert.equal(await new Response(123).text(), "123", "numbers become strings");
});

test("binary bodies", async () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const r = new Response(bytes);
  bytes[0] = 99;
  assert.equal(r.headers.get("content-type"), null, "no content-type for bytes");
  assert.deepEqual(new Uint8Array(await r.arrayBuffer()), new Uint8Array([1, 2, 3, 4]), "copied at construction");
  const view = new DataView(new Uint8Array([0, 104, 105, 0]).buffer, 1, 2);
  assert.equal(await new Response(view).text(), "hi", "DataView window");
  const sub = new Uint8Array([0, 104, 105, 0]).subarray(1, 3);
  assert.equal(await new Response(sub).text(), "hi", "subarray window");
  const ab = new ArrayBuffer(2);
  new Uint8Array(ab).set([0x68, 0x69]);
  const fromBuffer = new Response(ab);
  new Uint8Array(ab)[0] = 0;
  assert.equal(await fromBuffer.text(), "hi", "ArrayBuffer copied");
  const result = await new Response("abc").arrayBuffer();
  assert.ok(result instanceof ArrayBuffer);
  assert.equal(result.byteLength, 3);
  const u16 = new Uint16Array([1, 2]);
  assert.equal((await new Response(u16).arrayBuffer()).byteLength, 4, "byte length of wide arrays");
  if (typeof Response.prototype.bytes === "function") {
    assert.deepEqual(await new Response("hi").bytes(), new Uint8Array([104, 105]));
  }
});

test("status and statusText", () => {
  assert.throws(() => new Response(null, { status: 199 }), RangeError);
  assert.throws(() => new Response(null, { status: 600 }), RangeError);
  assert.throws(() => new Response(null, { status: 0 }), RangeError);
  assert.throws(() => new Response(null, { status: 100 }), RangeError);
  assert.equal(new Response(null, { status: 599 }).status, 599);
  assert.equal(new Response(null, { status: 200 }).status, 200);
  assert.equal(new Response(null, { status: "201" }).status, 201, "converted like unsigned short");
  assert.equal(new Response(null, { status: 404.7 }).status, 404, "truncated");
  assert.equal(new Response(null, { status: 65536 + 200 }).status, 200, "modulo 2^16");
  assert.equal(new Response(null, { status: 404 }).ok, false);
  assert.equal(new Response(null, { status: 299 }).ok, true);
  assert.equal(new Response(null, { status: 300 }).ok, false);
  assert.equal(new Response(null, { statusText: "Not Found\t(ok) \u00e9" }).statusText, "Not Found\t(ok) \u00e9");
  assert.throws(() => new Response(null, { statusText: "a\nb" }), TypeError);
  assert.throws(() => new Response(null, { statusText: "a\rb" }), TypeError);
  assert.throws(() => new Response(null, { statusText: "\u0100" }), TypeError, "not a ByteString");
  assert.throws(() => new Response(null, { statusText: "\x7f" }), TypeError, "DEL");
  assert.throws(() => new Response(null, 5), TypeError, "init must be an object");
  assert.throws(() => new Response(null, { headers: { "a b": "c" } }), TypeError, "invalid header name");
  assert.throws(() => new Response(null, { headers: 5 }), TypeError);
});

test("null body statuses", () => {
  for (const status of [204, 205, 304]) {
    assert.throws(() => new Response("x", { status }), TypeError, `${status} with a body`);
    assert.throws(() => new Response("", { status }), TypeError, `${status} with an empty body`);
    assert.equal(new Response(null, { status }).status, status, `${status} without a body`);
  }
  assert.throws(() => Response.json({}, { status: 204 }), TypeError);
  assert.equal(new Response(undefined, { status: 204 }).body, null);
});

test("Response.json", async () => {
  const r = Response.json({ a: 1, b: [true, null] });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.deepEqual(await r.json(), { a: 1, b: [true, null] });
  const custom = Response.json("x", { status: 201, statusText: "Created", headers: { "x-a": "1" } });
  assert.equal(custom.status, 201);
  assert.equal(custom.statusText, "Created");
  assert.deepEqual([...custom.headers], [["content-type", "application/json"], ["x-a", "1"]]);
  assert.equal(await custom.text(), '"x"');
  const typed = Response.json(1, { headers: { "content-type": "application/vnd.api+json" } });
  assert.equal(typed.headers.get("content-type"), "application/vnd.api+json", "explicit type wins");
  assert.throws(() => Response.json(), TypeError, "data is required");
  assert.throws(() => Response.json(undefined), TypeError);
  assert.throws(() => Response.json(() => 1), TypeError, "functions are not JSON");
  assert.throws(() => Response.json(Symbol("s")), TypeError);
  assert.throws(() => Response.json(1n), TypeError, "BigInt");
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => Response.json(cyclic), TypeError, "cycles");
  assert.throws(() => Response.json({}, { status: 700 }), RangeError);
  assert.equal(await Response.json(null).text(), "null");
});

test("Response.redirect", () => {
  const r = Response.redirect("https://example.com/a b");
  assert.equal(r.status, 302, "default status");
  assert.equal(r.type, "default");
  assert.equal(r.body, null);
  const location = r.headers.get("location");
  assert.ok(location === "https://example.com/a%20b" || location === "https://example.com/a b", "serialized location");
  for (const status of [301, 302, 303, 307, 308]) {
    assert.equal(Response.redirect("https://example.com/", status).status, status);
  }
  for (const status of [200, 300, 304, 309, 0]) {
    assert.throws(() => Response.redirect("https://example.com/", status), RangeError, `status ${status}`);
  }
  assert.throws(() => Response.redirect("/relative"), TypeError);
  assert.throws(() => Response.redirect(), TypeError);
  assert.throws(() => r.headers.set("location", "x"), TypeError, "immutable headers");
  assert.equal(Response.redirect("HTTPS://EXAMPLE.COM").headers.get("location"), "https://example.com/");
});

test("Response.error", async () => {
  const r = Response.error();
  assert.equal(r.status, 0);
  assert.equal(r.type, "error");
  assert.equal(r.ok, false);
  assert.equal(r.statusText, "");
  assert.equal(r.body, null);
  assert.deepEqual([...r.headers], []);
  assert.throws(() => r.headers.append("a", "b"), TypeError, "immutable headers");
  assert.equal(await r.text(), "");
  assert.equal(r.clone().type, "error");
  assert.notEqual(Response.error(), r, "a new object each time");
});

test("clone", async () => {
  const r = new Response("body", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
  const c = r.clone();
  assert.equal(c.status, 201);
  assert.equal(c.statusText, "Made");
  assert.deepEqual([...c.headers], [...r.headers]);
  assert.notEqual(c.headers, r.headers);
  c.headers.set("x-a", "2");
  assert.equal(r.headers.get("x-a"), "1", "independent headers");
  assert.equal(await c.text(), "body");
  assert.equal(await r.text(), "body", "both readable");
  assert.throws(() => r.clone(), TypeError, "used body");
  const lazy = new Response("x").clone();
  assert.equal(lazy.headers.get("content-type"), "text/plain;charset=UTF-8", "content-type survives a lazy clone");
  const redirectClone = Response.redirect("https://example.com/").clone();
  assert.throws(() => redirectClone.headers.set("a", "b"), TypeError, "guard is cloned");
  const bytes = new Response(new Uint8Array([7]));
  const bytesClone = bytes.clone();
  new Uint8Array(await bytes.arrayBuffer())[0] = 8;
  assert.deepEqual(new Uint8Array(await bytesClone.arrayBuffer()), new Uint8Array([7]));
});

test("clone of a stream body: each branch gets its own chunks", async () => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])];
  const source = new ReadableStream({
    pull(controller) {
      if (chunks.length === 0) controller.close();
      else controller.enqueue(chunks.shift());
    },
  });
  const original = new Response(source);
  const clone = original.clone();
  const reader = original.body.getReader();
  const seen = [];
  for (let step = await reader.read(); !step.done; step = await reader.read()) {
    seen.push([...step.value]);
    step.value.fill(0xff); // the reader writes into its chunk
  }
  assert.deepEqual(seen, [[1, 2], [3]]);
  assert.deepEqual(new Uint8Array(await clone.arrayBuffer()), new Uint8Array([1, 2, 3]), "the clone's chunks are copies");
  const request = new Request("http://a/", { method: "POST", body: new ReadableStream({
    start(controller) { controller.enqueue(new Uint8Array([9])); controller.close(); },
  }), duplex: "half" });
  const requestClone = request.clone();
  const chunk = (await request.body.getReader().read()).value;
  chunk[0] = 0;
  assert.deepEqual(new Uint8Array(await requestClone.arrayBuffer()), new Uint8Array([9]), "Request.clone() too");
});

test("brand checks", async () => {
  assert.throws(() => Object.getOwnPropertyDescriptor(Response.prototype, "status").get.call({}), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(Response.prototype, "bodyUsed").get.call(new Headers()), TypeError);
  await assert.rejects(Response.prototype.text.call(new Request("https://example.com/")), TypeError, "a Request is not a Response");
  await assert.rejects(Response.prototype.json.call(undefined), TypeError);
  assert.throws(() => Response.prototype.clone.call({}), TypeError);
});

test("URLSearchParams body (when URLSearchParams exists)", async () => {
  if (typeof URLSearchParams !== "function") return;
  const r = new Response(new URLSearchParams({ a: "1 2", b: "é" }));
  assert.equal(r.headers.get("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  assert.equal(await r.text(), "a=1+2&b=%C3%A9");
});

test("encodeBody (Workers): automatic or manual, read before headers, nothing else", () => {
  const order = [];
  const init = {};
  for (const key of ["webSocket", "statusText", "status", "headers", "encodeBody"]) {
    Object.defineProperty(init, key, { get() { order.push(key); return undefined; } });
  }
  new Response("x", init);
  assert.deepEqual(order, ["encodeBody", "headers", "status", "statusText", "webSocket"], "dictionary order");
  for (const value of ["automatic", "manual", { toString: () => "manual" }]) {
    assert.equal(new Response("x", { encodeBody: value }).status, 200);
  }
  assert.throws(() => new Response("x", { encodeBody: "gzip" }), TypeError);
  assert.throws(() => Response.json({}, { encodeBody: "" }), TypeError);
  assert.deepEqual(Object.getOwnPropertyNames(new Response("x", { encodeBody: "manual" })), [], "no visible own state");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
