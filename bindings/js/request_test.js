// Request (https://fetch.spec.whatwg.org/#request-class) and the body mixin on it.
import { test, assert, run } from "./testing/harness.js";

const URL_ = "https://example.com/path?q=1#frag";

test("shape", () => {
  assert.equal(Object.prototype.toString.call(new Request(URL_)), "[object Request]");
  assert.equal(Request.length, 1);
  assert.throws(() => new Request(), TypeError, "input is required");
  assert.throws(() => Request(URL_), TypeError, "needs new");
  const keys = Object.keys(Request.prototype);
  for (const k of ["method", "url", "headers", "redirect", "signal", "body", "bodyUsed", "clone", "text", "json", "arrayBuffer"]) {
    assert.ok(keys.includes(k), `Request.prototype.${k}`);
  }
  assert.equal(Object.getPrototypeOf(Request.prototype), Object.prototype, "body is a mixin, not a base class");
  assert.deepEqual(Object.getOwnPropertyNames(new Request(URL_)), []);
});

test("defaults", () => {
  const r = new Request(URL_);
  assert.equal(r.method, "GET");
  assert.equal(r.url, URL_, "fragment kept");
  assert.equal(r.redirect, "follow");
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
  assert.equal(r.cf, undefined);
  assert.equal(r.integrity, "");
  assert.equal(r.keepalive, false);
  assert.ok(r.headers instanceof Headers);
  assert.equal(r.headers, r.headers, "same Headers object every time");
  assert.deepEqual([...r.headers], []);
  assert.ok(r.signal instanceof AbortSignal);
  assert.equal(r.signal.aborted, false);
  assert.equal(r.signal, r.signal, "the same signal on every read");
});

test("url", () => {
  assert.equal(new Request("https://EXAMPLE.com").url, "https://example.com/", "host lower-cased, path added");
  assert.equal(new Request("HTTP://example.com/A?B").url, "http://example.com/A?B", "scheme lower-cased");
  assert.equal(new Request("  https://example.com/x  ").url, "https://example.com/x", "spaces trimmed");
  assert.equal(new Request({ toString: () => "https://example.com/obj" }).url, "https://example.com/obj");
  assert.throws(() => new Request("/relative"), TypeError);
  assert.throws(() => new Request("example.com"), TypeError);
  assert.throws(() => new Request(""), TypeError);
  assert.throws(() => new Request("https://user:pass@example.com/"), TypeError, "credentials");
  assert.throws(() => new Request("http://"), TypeError, "no host");
  assert.throws(() => new Request(Symbol("s")), TypeError);
});

test("method normalization and validation", () => {
  for (const [given, expected] of [
    ["get", "GET"], ["post", "POST"], ["Put", "PUT"], ["delete", "DELETE"], ["head", "HEAD"],
    ["options", "OPTIONS"], ["patch", "patch"], ["PATCH", "PATCH"], ["propfind", "propfind"], ["X-CUSTOM", "X-CUSTOM"],
  ]) {
    assert.equal(new Request(URL_, { method: given }).method, expected, given);
  }
  for (const bad of ["CONNECT", "connect", "TRACE", "trace", "TRACK", "Track"]) {
    assert.throws(() => new Request(URL_, { method: bad }), TypeError, bad);
  }
  for (const bad of ["", "GE T", "GET\n", "G(ET)", "\u0100"]) {
    assert.throws(() => new Request(URL_, { method: bad }), TypeError, JSON.stringify(bad));
  }
});

test("init validation", () => {
  assert.throws(() => new Request(URL_, 5), TypeError, "init must be an object");
  assert.equal(new Request(URL_, null).method, "GET", "null init is empty");
  assert.equal(new Request(URL_, { redirect: "manual" }).redirect, "manual");
  assert.throws(() => new Request(URL_, { redirect: "nope" }), TypeError);
  assert.throws(() => new Request(URL_, { mode: "navigate" }), TypeError);
  assert.throws(() => new Request(URL_, { mode: "bogus" }), TypeError);
  assert.throws(() => new Request(URL_, { cache: "bogus" }), TypeError);
  assert.throws(() => new Request(URL_, { credentials: "bogus" }), TypeError);
  assert.throws(() => new Request(URL_, { window: {} }), TypeError);
  assert.equal(new Request(URL_, { window: null, mode: "cors", cache: "no-store" }).method, "GET");
  const cf = { cacheTtl: 5 };
  assert.equal(new Request(URL_, { cf }).cf, cf, "Workers cf member");
  assert.equal(new Request(URL_, { integrity: "sha256-x", keepalive: 1 }).integrity, "sha256-x");
  assert.throws(() => new Request(URL_, { headers: { "bad name": "x" } }), TypeError);
  if (typeof AbortSignal === "function") {
    assert.throws(() => new Request(URL_, { signal: {} }), TypeError, "signal must be an AbortSignal");
  }
  assert.equal(new Request(URL_, { signal: null }).method, "GET", "null signal");
});

test("GET and HEAD cannot have a body", () => {
  assert.throws(() => new Request(URL_, { body: "x" }), TypeError);
  assert.throws(() => new Request(URL_, { method: "HEAD", body: "x" }), TypeError);
  assert.throws(() => new Request(URL_, { method: "get", body: "" }), TypeError, "normalized method, empty body");
  assert.equal(new Request(URL_, { method: "GET", body: null }).body, null, "null body is fine");
  const post = new Request(URL_, { method: "POST", body: "x" });
  assert.throws(() => new Request(post, { method: "GET" }), TypeError, "inherited body");
});

test("bodies", async () => {
  const text = new Request(URL_, { method: "POST", body: "héllo" });
  assert.equal(text.headers.get("content-type"), "text/plain;charset=UTF-8");
  assert.equal(await text.text(), "héllo");
  assert.equal(text.bodyUsed, true);
  await assert.rejects(text.text(), TypeError, "second read");
  await assert.rejects(text.arrayBuffer(), TypeError);

  const bytes = new Uint8Array([104, 105]);
  const binary = new Request(URL_, { method: "PUT", body: bytes });
  bytes[0] = 0;
  assert.equal(binary.headers.get("content-type"), null, "no type for bytes");
  assert.equal(await binary.text(), "hi", "bytes copied at construction");

  const json = new Request(URL_, { method: "POST", body: '{"a":[1,2]}', headers: { "content-type": "application/json" } });
  assert.equal(json.headers.get("content-type"), "application/json", "explicit type wins");
  assert.deepEqual(await json.json(), { a: [1, 2] });

  const buffer = new Request(URL_, { method: "POST", body: new Uint16Array([0x6968]).buffer });
  assert.deepEqual(new Uint8Array(await buffer.arrayBuffer()), new Uint8Array([0x68, 0x69]));

  const other = new Request(URL_, { method: "POST", body: { toString: () => "stringified" } });
  assert.equal(await other.text(), "stringified", "other objects go through String()");

  const empty = new Request(URL_);
  assert.equal(await empty.text(), "");
  assert.equal(await empty.text(), "", "null body can be read again");
  assert.equal(empty.bodyUsed, false);
  await assert.rejects(empty.json(), SyntaxError, "empty body is not JSON");
  await assert.rejects(new Request(URL_, { method: "POST", body: "{" }).json(), SyntaxError);
  await assert.rejects(Request.prototype.text.call({}), TypeError, "brand check rejects");
});

test("new Request(request) copies and takes the body", async () => {
  const original = new Request(URL_, { method: "POST", body: "payload", headers: { "x-a": "1" }, redirect: "manual" });
  const copy = new Request(original);
  assert.equal(copy.method, "POST");
  assert.equal(copy.url, URL_);
  assert.equal(copy.redirect, "manual");
  assert.equal(copy.headers.get("x-a"), "1");
  assert.notEqual(copy.headers, original.headers);
  copy.headers.set("x-a", "2");
  assert.equal(original.headers.get("x-a"), "1", "header lists are independent");
  assert.equal(original.bodyUsed, true, "the body moved");
  assert.equal(await copy.text(), "payload");
  assert.throws(() => new Request(original), TypeError, "the input is used");
  const overridden = new Request(original, { body: "new", method: "PUT", headers: [["y", "1"]] });
  assert.equal(overridden.method, "PUT");
  assert.equal(overridden.headers.has("x-a"), false, "init.headers replaces");
  assert.equal(await overridden.text(), "new");
});

test("clone", async () => {
  const r = new Request(URL_, { method: "POST", body: "data", headers: { a: "1" } });
  const c = r.clone();
  assert.equal(c.method, "POST");
  assert.equal(c.headers.get("a"), "1");
  assert.notEqual(c.headers, r.headers);
  assert.equal(await c.text(), "data");
  assert.equal(r.bodyUsed, false, "reading the clone does not use the original");
  assert.equal(await r.text(), "data");
  assert.throws(() => r.clone(), TypeError, "cannot clone a used body");
  const bytes = new Request(URL_, { method: "POST", body: new Uint8Array([1, 2, 3]) });
  const bytesClone = bytes.clone();
  const ab = await bytes.arrayBuffer();
  new Uint8Array(ab)[0] = 9;
  assert.deepEqual(new Uint8Array(await bytesClone.arrayBuffer()), new Uint8Array([1, 2, 3]), "clones do not share bytes");
  assert.equal(new Request(URL_).clone().body, null);
});

test("no-cors requests keep only no-CORS-safelisted request-headers", async () => {
  const request = new Request("http://a/", {
    mode: "no-cors",
    headers: {
      "Accept": "text/html", "X-Custom": "1", "Content-Type": "application/json", "Accept-Language": "en-US,en;q=0.9",
      "Content-Language": "de@x", "Range": "bytes=0-1", "Authorization": "Bearer t",
    },
  });
  assert.deepEqual([...request.headers], [["accept", "text/html"], ["accept-language", "en-US,en;q=0.9"]]);
  const headers = request.headers;
  headers.set("Content-Type", "text/plain;charset=UTF-8");
  headers.append("x-other", "1");
  headers.set("authorization", "x");
  headers.append("accept", "a".repeat(130));
  assert.equal(headers.get("content-type"), "text/plain;charset=UTF-8");
  assert.equal(headers.get("accept"), "text/html", "the combined value would be over 128 bytes");
  assert.ok(!headers.has("x-other") && !headers.has("authorization"));
  headers.append("accept", "text/plain");
  assert.equal(headers.get("accept"), "text/html, text/plain");
  headers.set("content-type", "multipart/form-data; boundary=\"a\"");
  assert.equal(headers.get("content-type"), "text/plain;charset=UTF-8", "a CORS-unsafe byte (\") makes set() do nothing");
  headers.delete("accept");
  assert.ok(!headers.has("accept"));
  assert.throws(() => new Request("http://a/", { mode: "no-cors", method: "PUT" }), TypeError, "only GET, HEAD and POST");
  const post = new Request("http://a/", { mode: "no-cors", method: "POST", body: new Blob(["{}"], { type: "application/json" }) });
  assert.equal(post.headers.get("content-type"), null, "a body's type is appended through the guard");
  const text = new Request("http://a/", { mode: "no-cors", method: "POST", body: "x" });
  assert.equal(text.headers.get("content-type"), "text/plain;charset=UTF-8");
  const copy = new Request(request);
  copy.headers.set("x-a", "1");
  assert.ok(!copy.headers.has("x-a"), "the mode carries over to new Request(request)");
  const clone = request.clone();
  clone.headers.set("x-a", "1");
  assert.ok(!clone.headers.has("x-a"), "and to clone()");
  const from = new Request(new Request("http://a/", { headers: { "x-a": "1", accept: "*/*" } }), { mode: "no-cors" });
  assert.deepEqual([...from.headers], [["accept", "*/*"]], "the input's headers go through the guard");
  const cors = new Request("http://a/", { mode: "cors", headers: { "x-a": "1" } });
  assert.equal(cors.headers.get("x-a"), "1", "other modes are not filtered");
});

test("text decoding", async () => {
  const bom = new Request(URL_, { method: "POST", body: new Uint8Array([0xef, 0xbb, 0xbf, 0x61]) });
  assert.equal(await bom.text(), "a", "BOM stripped");
  const invalid = new Request(URL_, { method: "POST", body: new Uint8Array([0x61, 0xff, 0x62]) });
  assert.equal(await invalid.text(), "a\ufffdb", "invalid UTF-8 replaced");
  const lone = new Request(URL_, { method: "POST", body: "a\ud800b" });
  assert.equal(await lone.text(), "a\ufffdb", "USVString conversion");
  const bytes = await new Request(URL_, { method: "POST", body: "é" }).arrayBuffer();
  assert.deepEqual(new Uint8Array(bytes), new Uint8Array([0xc3, 0xa9]), "UTF-8 encoded");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
