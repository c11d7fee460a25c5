// How the server calls the handler (90_dispatch.js): the arguments an ES module's fetch() gets.
// The failure paths (non-Response results, throws, Response.error()) end the request with a 500
// and cannot be observed from inside a handler; they are covered by the C++ tests.
import { test, assert, run } from "./testing/harness.js";

let incoming = null;

const handler = {
  async fetch(request, env, ctx) {
    incoming = { self: this, request, env, ctx, argc: arguments.length };
    return Response.json(await run());
  },
};

test("fetch(request, env, ctx) with this = the default export", () => {
  assert.equal(incoming.self, handler);
  assert.equal(incoming.argc, 3);
  assert.equal(typeof incoming.env, "object");
  assert.ok(incoming.env !== null, "env is an object");
});

test("the incoming request", async () => {
  const { request } = incoming;
  assert.ok(request instanceof Request);
  assert.equal(Object.prototype.toString.call(request), "[object Request]");
  assert.equal(typeof request.method, "string");
  assert.ok(/^[a-z][a-z0-9+.-]*:\/\//.test(request.url), "absolute URL");
  assert.equal(request.redirect, "follow");
  assert.equal(request.bodyUsed, false);
  assert.equal(request.headers, request.headers, "headers created once");
  for (const [name] of request.headers) assert.equal(name, name.toLowerCase(), "lower-case names");
  assert.throws(() => request.headers.set("x-test", "1"), TypeError, "incoming headers are immutable");
  assert.throws(() => request.headers.append("x-test", "1"), TypeError);
  assert.throws(() => request.headers.delete("host"), TypeError);
  const copy = new Request(request);
  copy.headers.set("x-test", "1");
  assert.equal(copy.headers.get("x-test"), "1", "a copy has mutable headers");
  const clone = request.clone();
  assert.throws(() => clone.headers.set("x-test", "1"), TypeError, "a clone keeps the guard");
  if (request.method === "GET" || request.method === "HEAD") {
    assert.equal(request.body, null);
    assert.equal(await request.clone().text(), "");
  }
});

test("ctx", async () => {
  const { ctx } = incoming;
  assert.equal(typeof ctx.waitUntil, "function");
  assert.equal(typeof ctx.passThroughOnException, "function");
  assert.equal(ctx.passThroughOnException(), undefined);
  assert.equal(ctx.waitUntil(Promise.resolve(1)), undefined);
  assert.equal(ctx.waitUntil(Promise.reject(new Error("expected: logged, not fatal"))), undefined);
  assert.equal(ctx.waitUntil(42), undefined, "non-promises are accepted");
  assert.throws(() => ctx.waitUntil(), TypeError);
  assert.throws(() => new ctx.constructor(), TypeError, "ExecutionContext cannot be constructed");
  assert.throws(() => ctx.waitUntil.call({}, Promise.resolve()), TypeError, "brand check");
  await new Promise((resolve) => setTimeout(resolve, 1));
});

test("service-worker globals exist", () => {
  assert.equal(typeof addEventListener, "function");
  assert.equal(typeof removeEventListener, "function");
  const listener = () => {};
  assert.equal(addEventListener("scheduled", listener), undefined, "other event types are accepted");
  assert.equal(removeEventListener("scheduled", listener), undefined);
  assert.throws(() => addEventListener("fetch"), TypeError);
  assert.throws(() => addEventListener("fetch", 5), TypeError);
  assert.equal(addEventListener("fetch", null), undefined, "null listener is ignored");
});

export default handler;
