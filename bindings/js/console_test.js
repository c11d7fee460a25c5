// console (https://console.spec.whatwg.org/). The log lines themselves go to the server log,
// which a script cannot read, so this checks what is observable from inside: the methods exist,
// never throw, and call exactly the user code that node's formatting would call.
import { test, assert, run } from "./testing/harness.js";

const METHODS = ["log", "info", "warn", "error", "debug", "trace", "assert", "clear", "dir", "dirxml", "table",
  "count", "countReset", "group", "groupCollapsed", "groupEnd", "time", "timeLog", "timeEnd"];

test("shape", () => {
  assert.equal(typeof console, "object");
  assert.equal(Object.prototype.toString.call(console), "[object console]");
  assert.ok(!Object.getOwnPropertyDescriptor(globalThis, "console").enumerable, "global not enumerable");
  for (const name of METHODS) {
    assert.equal(typeof console[name], "function", `console.${name}`);
  }
  assert.equal(console.log.name, "log");
});

test("a namespace object, as in browsers and Deno (https://webidl.spec.whatwg.org/#es-namespaces)", () => {
  const proto = Object.getPrototypeOf(console);
  assert.notEqual(proto, Object.prototype, "its prototype is an object of its own");
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Reflect.ownKeys(proto), [], "an empty one");
  assert.equal(console[Symbol.toStringTag], "console");
  const tag = Object.getOwnPropertyDescriptor(console, Symbol.toStringTag);
  assert.ok(!tag.writable && !tag.enumerable && tag.configurable);
  assert.deepEqual(Object.keys(console).sort(), [...METHODS].sort(), "every method an own enumerable property, nothing else");
  for (const name of METHODS) {
    const descriptor = Object.getOwnPropertyDescriptor(console, name);
    assert.ok(descriptor.writable && descriptor.enumerable && descriptor.configurable, name);
    assert.throws(() => new console[name](), TypeError, `${name} is not a constructor`);
  }
  console.group("g");
  assert.equal(console.clear(), undefined);
  console.groupEnd();
});

test("methods work unbound and return undefined", () => {
  const { log, info, warn, error, debug } = console;
  assert.equal(log("unbound log"), undefined);
  assert.equal(info("unbound info"), undefined);
  assert.equal(warn("unbound warn"), undefined);
  assert.equal(error("unbound error"), undefined);
  assert.equal(debug("unbound debug"), undefined);
  assert.equal(console.log(), undefined, "no arguments");
});

test("never throws on awkward values", () => {
  const cyclic = { name: "cyclic" };
  cyclic.self = cyclic;
  const hostile = new Proxy({}, {
    ownKeys() { throw new Error("ownKeys trap"); },
    getOwnPropertyDescriptor() { throw new Error("gOPD trap"); },
    getPrototypeOf() { throw new Error("getPrototypeOf trap"); },
  });
  const badToString = { toString() { throw new Error("toString"); } };
  const values = [
    undefined, null, true, 0, -0, NaN, 1n, Symbol("s"), "str", [1, [2, [3, [4, [5]]]]], cyclic,
    Object.create(null), new Map([[cyclic, cyclic]]), new Set([cyclic]), new Error("err"), new TypeError("te"),
    function named() {}, class K {}, async () => {}, new Date(NaN), /re/g, new Uint8Array(300), new ArrayBuffer(70),
    new DataView(new ArrayBuffer(2)), Promise.resolve(1), new WeakMap(), hostile, badToString,
    new Headers([["a", "1"]]), new Request("https://example.com/"), new Response("x"), Array(1000).fill("x"),
    "x".repeat(20000), globalThis,
  ];
  for (const v of values) console.log(v);
  console.log("%s %d %i %f %j %o %O %c %%", ...values);
  console.log("%s", badToString.toString === undefined ? 1 : { toString: null });
  console.log("%j", cyclic);
  console.log("%s", hostile);
  console.error(values);
  console.dir(cyclic, { depth: null });
  console.table([{ a: 1 }]);
  assert.ok(true, "no exception");
});

test("%s calls a user-defined toString once, %d calls valueOf", () => {
  let toStringCalls = 0;
  console.log("value: %s", { toString() { toStringCalls++; return "custom"; } });
  assert.equal(toStringCalls, 1);
  let valueOfCalls = 0;
  console.log("%d", { valueOf() { valueOfCalls++; return 42; } });
  assert.equal(valueOfCalls, 1);
  let untouched = 0;
  console.log("%s", { a: 1, get b() { untouched++; return 2; } });
  assert.equal(untouched, 0, "plain objects are inspected, not stringified");
});

test("getters are not invoked by inspection", () => {
  let calls = 0;
  const obj = { get g() { calls++; return 1; } };
  console.log(obj);
  console.log([obj], { nested: obj });
  console.log("%o %O", obj, obj);
  assert.equal(calls, 0);
});

test("extra arguments are formatted, not used as specifiers", () => {
  let calls = 0;
  const spy = { toString() { calls++; return "spy"; } };
  console.log("no specifier", spy);
  assert.equal(calls, 0, "non-string extras are inspected, not String()ed");
  console.log("%s", "first", spy);
  assert.equal(calls, 0);
});

test("assert", () => {
  let calls = 0;
  const spy = { toString() { calls++; return "x"; } };
  assert.equal(console.assert(true, "%s", spy), undefined);
  assert.equal(calls, 0, "nothing formatted when the assertion holds");
  console.assert(false, "%s", spy);
  assert.equal(calls, 1, "formatted when it fails");
  console.assert(false);
  console.assert(0, { a: 1 });
  console.assert();
  assert.ok(true);
});

test("count, time, group", () => {
  console.count();
  console.count("label");
  console.countReset("label");
  console.countReset("never-counted");
  console.time("t");
  console.timeLog("t", "extra", { a: 1 });
  console.timeEnd("t");
  console.timeEnd("t");
  console.group("outer");
  console.group();
  console.log("nested\nlines");
  console.groupEnd();
  console.groupEnd();
  console.groupEnd();
  console.trace("trace %s", "here");
  assert.ok(true, "no exception");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
