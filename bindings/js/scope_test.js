// structuredClone (https://html.spec.whatwg.org/multipage/structured-data.html), performance
// (https://w3c.github.io/hr-time/), navigator and self.
import { test, assert, run } from "./testing/harness.js";

test("structuredClone copies the structured types", () => {
  const source = {
    date: new Date(86400000), map: new Map([["k", { v: 1 }]]), set: new Set([1, "a"]), regexp: /x+/gi,
    bytes: new Uint16Array([1, 65535]), big: 12345678901234567890n, nested: [1, [2, [3]]], negZero: -0,
    undef: undefined, str: new String("boxed"), error: new TypeError("bad", { cause: 1 }),
  };
  source.cycle = source;
  const clone = structuredClone(source);
  assert.notEqual(clone, source);
  assert.equal(clone.cycle, clone, "cycles are kept");
  assert.equal(clone.date.getTime(), 86400000);
  assert.ok(clone.date instanceof Date);
  assert.deepEqual(clone.map.get("k"), { v: 1 });
  assert.notEqual(clone.map.get("k"), source.map.get("k"), "deep");
  assert.ok(clone.set.has("a"));
  assert.equal(String(clone.regexp), "/x+/gi");
  assert.deepEqual(clone.bytes, new Uint16Array([1, 65535]));
  assert.equal(clone.big, 12345678901234567890n);
  assert.deepEqual(clone.nested, [1, [2, [3]]]);
  assert.ok(Object.is(clone.negZero, -0));
  assert.ok("undef" in clone);
  assert.equal(clone.str.valueOf(), "boxed");
  assert.ok(clone.error instanceof TypeError);
  assert.equal(clone.error.message, "bad");
});

test("structuredClone drops what it must and refuses what it cannot clone", () => {
  class Point { constructor() { this.x = 1; } get y() { return 2; } }
  const clone = structuredClone(new Point());
  assert.equal(Object.getPrototypeOf(clone), Object.prototype, "class instances become plain objects");
  assert.deepEqual(clone, { x: 1 });
  for (const value of [() => 1, Symbol("s"), { f() {} }, new WeakMap(), Promise.resolve()]) {
    const error = assert.throws(() => structuredClone(value), DOMException);
    assert.equal(error.name, "DataCloneError");
  }
  assert.throws(() => structuredClone(), TypeError);
  assert.equal(structuredClone(null), null);
  assert.equal(structuredClone("s"), "s");
});

test("structuredClone copies Blobs and Files, also inside objects and arrays", async () => {
  const blob = new Blob(["hello"], { type: "text/plain" });
  const copy = structuredClone(blob);
  assert.ok(copy instanceof Blob);
  assert.notEqual(copy, blob);
  assert.equal(copy.type, "text/plain");
  assert.equal(await copy.text(), "hello");
  const file = new File([new Uint8Array([1, 2, 3])], "a.bin", { type: "application/x-a", lastModified: 42 });
  const clone = structuredClone({ list: [file, blob, file], blob });
  assert.ok(clone.list[0] instanceof File);
  assert.equal(clone.list[0].name, "a.bin");
  assert.equal(clone.list[0].lastModified, 42);
  assert.equal(clone.list[0].type, "application/x-a");
  assert.deepEqual(await clone.list[0].bytes(), new Uint8Array([1, 2, 3]));
  assert.equal(clone.list[2], clone.list[0], "one copy per original");
  assert.equal(clone.blob, clone.list[1]);
  assert.ok(!(clone.list[1] instanceof File));
  assert.equal(await clone.blob.text(), "hello");
  class MyBlob extends Blob {}
  assert.equal(Object.getPrototypeOf(structuredClone(new MyBlob(["x"]))), Blob.prototype, "a subclass clones as a Blob");
  assert.equal(Object.getPrototypeOf(Blob.prototype), Object.prototype);
  const Base = Object.getPrototypeOf(Blob);
  assert.equal(assert.throws(() => structuredClone([new Base()]), DOMException).name, "DataCloneError", "not a Blob");
  const { port1, port2 } = new MessageChannel();
  const received = new Promise((resolve) => { port2.onmessage = (event) => resolve(event.data); });
  port1.postMessage({ file });
  assert.equal((await received).file.name, "a.bin", "postMessage clones Blobs too");
  port1.close();
});

test("structuredClone transfers ArrayBuffers", () => {
  const buffer = new Uint8Array([9, 8, 7]).buffer;
  const clone = structuredClone({ buffer }, { transfer: [buffer] });
  assert.deepEqual(new Uint8Array(clone.buffer), new Uint8Array([9, 8, 7]));
  assert.equal(buffer.byteLength, 0, "the original is detached");
  const error = assert.throws(() => structuredClone(buffer, { transfer: [buffer] }), DOMException);
  assert.equal(error.name, "DataCloneError", "a detached buffer cannot be transferred");
  const other = new ArrayBuffer(2);
  assert.throws(() => structuredClone(1, { transfer: [other, other] }), DOMException, "listed twice");
  assert.throws(() => structuredClone(1, { transfer: [{}] }), DOMException, "not an ArrayBuffer");
  // transfer is a Web IDL sequence: any iterable, read through the iterator protocol.
  const fromSet = new ArrayBuffer(4);
  assert.equal(structuredClone(fromSet, { transfer: new Set([fromSet]) }).byteLength, 4, "a Set");
  assert.equal(fromSet.byteLength, 0, "transferred from a Set");
  const fromGenerator = new ArrayBuffer(3);
  assert.equal(structuredClone(fromGenerator, { transfer: (function* () { yield fromGenerator; })() }).byteLength, 3);
  assert.throws(() => structuredClone(1, { transfer: 5 }), TypeError, "not iterable");
  assert.throws(() => structuredClone(1, { transfer: { [Symbol.iterator]: () => ({ next: () => 1 }) } }), TypeError,
                "an iterator result that is not an object");
});

test("performance", () => {
  assert.equal(typeof performance.now(), "number");
  assert.equal(performance.timeOrigin, 0, "as in Workers");
  const before = performance.now();
  for (let i = 0; i < 1e6; i++);
  assert.equal(performance.now(), before, "frozen while JS runs (SPEC §3)");
  assert.ok(Math.abs(performance.now() - Date.now()) < 1);
  assert.ok(performance instanceof Performance);
  assert.throws(() => new Performance(), TypeError);
  assert.deepEqual(performance.toJSON(), { timeOrigin: 0 });
});

test("performance marks and measures", () => {
  performance.clearMarks();
  const start = performance.mark("start", { detail: { step: 1 } });
  assert.ok(start instanceof PerformanceMark);
  assert.ok(start instanceof PerformanceEntry);
  assert.equal(start.entryType, "mark");
  assert.equal(start.duration, 0);
  assert.deepEqual(start.detail, { step: 1 });
  performance.mark("end", { startTime: start.startTime + 25 });
  const measure = performance.measure("span", "start", "end");
  assert.equal(measure.duration, 25);
  assert.equal(measure.entryType, "measure");
  assert.equal(performance.measure("opts", { start: "start", duration: 5 }).duration, 5);
  assert.deepEqual(performance.getEntriesByType("mark").map((e) => e.name), ["start", "end"]);
  assert.equal(performance.getEntriesByName("span")[0], measure);
  assert.equal(performance.getEntriesByName("span", "mark").length, 0);
  assert.equal(assert.throws(() => performance.measure("x", "no such mark"), DOMException).name, "SyntaxError");
  performance.clearMarks("start");
  assert.deepEqual(performance.getEntriesByType("mark").map((e) => e.name), ["end"]);
  performance.clearMeasures();
  assert.equal(performance.getEntriesByType("measure").length, 0);
  assert.equal(new PerformanceMark("m", { startTime: 3 }).startTime, 3);
  assert.throws(() => new PerformanceEntry(), TypeError);
  assert.deepEqual(JSON.parse(JSON.stringify(new PerformanceMark("j", { startTime: 1 }))),
    { name: "j", entryType: "mark", startTime: 1, duration: 0 });
});

test("navigator and self", () => {
  assert.equal(navigator.userAgent, "Cloudflare-Workers", "Workers' value, which libraries detect");
  assert.ok(navigator instanceof Navigator);
  assert.equal(self, globalThis);
  assert.equal(Object.getOwnPropertyDescriptor(globalThis, "self").enumerable, false);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
