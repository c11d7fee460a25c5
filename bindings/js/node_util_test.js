// node:util and node:assert under nodejs_compat (npm util 0.12.5, npm assert 2.1.0).
import { test, assert, run } from "./testing/harness.js";
import util, { inspect, promisify, types, format } from "node:util";
import nodeAssert from "node:assert";
import strict from "node:assert/strict";

test("inspect and format", () => {
  assert.equal(inspect({ a: [1, { b: "x" }] }), "{ a: [ 1, { b: 'x' } ] }");
  assert.equal(inspect("s"), "'s'");
  assert.equal(format("%s is %d, %j", "n", 42, { k: 1 }), 'n is 42, {"k":1}');
  assert.equal(util.inspect(new Map([[1, 2]])), "Map(1) { 1 => 2 }", "as Node >= 12");
  assert.equal(inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), "{ a: [Object] }");
});

test("promisify / callbackify", async () => {
  const legacy = (a, b, cb) => setTimeout(() => cb(null, a + b), 0);
  assert.equal(await promisify(legacy)(2, 3), 5);
  const failing = (cb) => cb(new Error("nope"));
  await assert.rejects(promisify(failing)(), /nope/);
  const done = await new Promise((resolve) => util.callbackify(async () => "v")((err, v) => resolve([err, v])));
  assert.deepEqual(done, [null, "v"]);
});

test("types and inherits", () => {
  assert.ok(types.isPromise(Promise.resolve()));
  assert.ok(types.isUint8Array(new Uint8Array(1)));
  assert.ok(types.isDate(new Date()));
  assert.ok(!types.isRegExp({}));
  function Base() {}
  Base.prototype.hello = () => "hi";
  function Child() {}
  util.inherits(Child, Base);
  assert.equal(new Child().hello(), "hi");
  assert.ok(util.isDeepStrictEqual({ a: [1] }, { a: [1] }));
  assert.ok(!util.isDeepStrictEqual({ a: 1 }, { a: "1" }));
  assert.equal(new util.TextDecoder().decode(new util.TextEncoder().encode("é")), "é");
});

test("assert.deepStrictEqual throws an AssertionError", () => {
  nodeAssert.deepStrictEqual({ a: [1, 2] }, { a: [1, 2] });
  const error = assert.throws(() => nodeAssert.deepStrictEqual({ a: 1 }, { a: "1" }), nodeAssert.AssertionError);
  assert.equal(error.code, "ERR_ASSERTION");
  assert.throws(() => nodeAssert.ok(false, "custom"), { message: "custom" });
  assert.throws(() => nodeAssert.throws(() => {}), nodeAssert.AssertionError);
  nodeAssert.equal(1, "1");
  assert.throws(() => strict.equal(1, "1"), nodeAssert.AssertionError);
});

test("assert.rejects", async () => {
  await nodeAssert.rejects(Promise.reject(new TypeError("t")), TypeError);
  await assert.rejects(nodeAssert.rejects(Promise.resolve()), nodeAssert.AssertionError);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
