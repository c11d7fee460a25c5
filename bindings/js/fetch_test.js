// fetch() without the network: argument validation, refused schemes and loopback addresses
// (refused by the SSRF guard before any connection: this tenant has no `outbound` list), Request
// objects as input, and signals that are already aborted. The network paths are in
// tests/fetch_test.cc against a local upstream.
import { test, assert, run } from "./testing/harness.js";

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}

test("shape", () => {
  assert.equal(typeof fetch, "function");
  assert.equal(fetch.name, "fetch");
  assert.equal(fetch.length, 1);
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "fetch");
  assert.equal(descriptor.enumerable, false, "not enumerable");
});

test("argument errors reject, never throw", async () => {
  let promise;
  promise = fetch();
  assert.ok(promise instanceof Promise, "a promise even with no argument");
  assert.ok((await rejection(promise)) instanceof TypeError, "no argument");
  assert.ok((await rejection(fetch("/relative"))) instanceof TypeError, "relative URL");
  assert.ok((await rejection(fetch("http://user:pw@example.com/"))) instanceof TypeError, "credentials in the URL");
  assert.ok((await rejection(fetch("http://127.0.0.1/", { method: "CONNECT" }))) instanceof TypeError, "forbidden method");
  assert.ok((await rejection(fetch("http://127.0.0.1/", { method: "GET", body: "x" }))) instanceof TypeError, "GET with a body");
  assert.ok((await rejection(fetch("http://127.0.0.1/", { redirect: "sideways" }))) instanceof TypeError, "bad redirect mode");
  assert.ok((await rejection(fetch("http://127.0.0.1/", { headers: { "bad name": "x" } }))) instanceof TypeError, "bad header name");
  assert.ok((await rejection(fetch("http://127.0.0.1/", { signal: "nope" }))) instanceof TypeError, "signal not an AbortSignal");
});

test("schemes other than http and https are refused", async () => {
  for (const url of ["ftp://example.com/file", "file:///etc/passwd", "data:,hello", "ws://example.com/", "blob:http://x/1"]) {
    const error = await rejection(fetch(url));
    assert.ok(error instanceof TypeError, url);
    assert.ok(/scheme is not allowed/.test(error.message), `${url}: ${error.message}`);
  }
});

test("loopback in every spelling is refused before connecting", async () => {
  const cases = {
    "http://127.0.0.1/": "fetch to 127.0.0.1 refused: loopback address (add it to outbound to allow)",
    "http://127.1.2.3:8080/": "fetch to 127.1.2.3 refused: loopback address",
    "http://[::1]/": "fetch to [::1] refused: loopback address",
    "http://[::ffff:127.0.0.1]/": "fetch to [::ffff:7f00:1] refused: loopback address",
    "https://127.0.0.1/": "fetch to 127.0.0.1 refused: loopback address",
    "http://localhost/": "fetch to localhost refused: loopback address",
    "http://2130706433/": "fetch to 127.0.0.1 refused: loopback address",
  };
  for (const [url, message] of Object.entries(cases)) {
    const error = await rejection(fetch(url));
    assert.ok(error instanceof TypeError, url);
    assert.ok(error.message.startsWith(message), `${url}: ${error.message}`);
  }
});

test("a Request as input", async () => {
  const request = new Request("http://127.0.0.1/upload", { method: "POST", body: "payload", headers: { "x-a": "1" } });
  const error = await rejection(fetch(request));
  assert.ok(error instanceof TypeError);
  assert.ok(/loopback/.test(error.message), error.message);
  assert.equal(request.bodyUsed, true, "the input request's body is taken");
  assert.ok((await rejection(fetch(request))) instanceof TypeError, "a used request cannot be fetched again");
  const error2 = await rejection(fetch(new Request("http://[::1]/"), { method: "PUT", body: "x" }));
  assert.ok(/loopback/.test(error2.message), "init overrides the request's members");
});

test("a signal already aborted rejects at once with its reason", async () => {
  const reason = new Error("stop");
  const controller = new AbortController();
  controller.abort(reason);
  assert.equal(await rejection(fetch("http://127.0.0.1/", { signal: controller.signal })), reason);
  const error = await rejection(fetch("http://example.com/", { signal: AbortSignal.abort() }));
  assert.equal(error.name, "AbortError");
  const viaRequest = new Request("http://example.com/", { signal: AbortSignal.abort("why") });
  assert.equal(await rejection(fetch(viaRequest)), "why", "the Request's signal");
});

test("responses that were not fetched have no url", () => {
  const response = new Response("x");
  assert.equal(response.url, "");
  assert.equal(response.redirected, false);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
