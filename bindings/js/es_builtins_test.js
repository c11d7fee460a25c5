// ES2023+ built-ins V8 10.2 lacks, from core-js on first use (bindings/es_builtins.h,
// js/lazy/es_builtins.js): present before use as ordinary built-in properties, and working.
import { test, assert, run } from "./testing/harness.js";

const iteratorProto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const places = [
  [Promise, ["withResolvers"]], [Object, ["groupBy"]], [Map, ["groupBy"]], [Array, ["fromAsync"]],
  [Array.prototype, ["toSorted", "toReversed", "toSpliced", "with"]],
  [typedArrayProto, ["toSorted", "toReversed", "with"]],
  [Set.prototype, ["union", "intersection", "difference", "symmetricDifference", "isSubsetOf", "isSupersetOf",
    "isDisjointFrom"]],
  [String.prototype, ["isWellFormed", "toWellFormed"]],
  [ArrayBuffer.prototype, ["transfer", "transferToFixedLength"]],
  [iteratorProto, ["map", "filter", "take", "drop", "flatMap", "reduce", "toArray", "forEach", "some", "every", "find"]],
  [globalThis, ["Iterator"]],
];

// Runs first (tests run in order): the placeholders look like built-in methods before any use.
test("each is a non-enumerable, writable, configurable function", () => {
  for (const [object, names] of places) {
    for (const name of names) {
      const d = Object.getOwnPropertyDescriptor(object, name);
      assert.ok(d !== undefined, name);
      assert.equal(typeof d.value, "function", name);
      assert.equal(d.enumerable, false, name);
      assert.equal(d.writable, true, name);
      assert.equal(d.configurable, true, name);
      assert.ok(!Object.keys(object).includes(name), name);
    }
  }
  const detached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "detached");
  assert.equal(typeof detached.get, "function", "detached is an accessor once loaded");
  assert.equal(detached.set, undefined);
  assert.equal(Promise.withResolvers.name, "withResolvers");
  assert.equal(Array.prototype.toSorted.length, 1);
});

test("Promise.withResolvers", async () => {
  const { promise, resolve, reject } = Promise.withResolvers();
  assert.ok(promise instanceof Promise);
  assert.equal(typeof reject, "function");
  resolve(7);
  assert.equal(await promise, 7);
});

test("Object.groupBy and Map.groupBy", () => {
  const g = Object.groupBy([1, 2, 3, 4, 5], (n) => (n % 2 ? "odd" : "even"));
  assert.equal(Object.getPrototypeOf(g), null);
  assert.deepEqual({ ...g }, { odd: [1, 3, 5], even: [2, 4] });
  const m = Map.groupBy(["a", "bb", "cc"], (s) => s.length);
  assert.ok(m instanceof Map);
  assert.deepEqual(m.get(2), ["bb", "cc"]);
});

test("Array.fromAsync", async () => {
  async function* gen() { yield 1; yield Promise.resolve(2); }
  assert.deepEqual(await Array.fromAsync(gen()), [1, 2]);
  assert.deepEqual(await Array.fromAsync([Promise.resolve(3), 4], (x) => x * 2), [6, 8]);
});

test("change array by copy", () => {
  const a = [3, 1, 2];
  assert.deepEqual(a.toSorted(), [1, 2, 3]);
  assert.deepEqual(a.toReversed(), [2, 1, 3]);
  assert.deepEqual(a.toSpliced(1, 1, "x", "y"), [3, "x", "y", 2]);
  assert.deepEqual(a.with(-1, 9), [3, 1, 9]);
  assert.deepEqual(a, [3, 1, 2], "the original is unchanged");
  assert.throws(() => a.with(5, 0), RangeError);
  const t = new Uint8Array([3, 1, 2]);
  assert.deepEqual(t.toSorted(), new Uint8Array([1, 2, 3]));
  assert.deepEqual(t.toReversed(), new Uint8Array([2, 1, 3]));
  assert.deepEqual(t.with(0, 7), new Uint8Array([7, 1, 2]));
  assert.deepEqual(t, new Uint8Array([3, 1, 2]));
});

test("Set methods", () => {
  const a = new Set([1, 2, 3]), b = new Set([3, 4]);
  assert.deepEqual([...a.union(b)], [1, 2, 3, 4]);
  assert.deepEqual([...a.intersection(b)], [3]);
  assert.deepEqual([...a.difference(b)], [1, 2]);
  assert.deepEqual([...a.symmetricDifference(b)], [1, 2, 4]);
  assert.equal(new Set([1]).isSubsetOf(a), true);
  assert.equal(a.isSupersetOf(new Set([2, 3])), true);
  assert.equal(a.isDisjointFrom(new Set([9])), true);
  // Set-likes: anything with size, has and keys.
  assert.deepEqual([...a.intersection(new Map([[2, 0]]))], [2]);
});

test("well-formed strings", () => {
  assert.equal("ab\uD800".isWellFormed(), false);
  assert.equal("ab\uD83D\uDE00".isWellFormed(), true);
  assert.equal("ab\uD800c".toWellFormed(), "ab\uFFFDc");
});

test("ArrayBuffer transfer and detached", () => {
  const buf = new Uint8Array([1, 2, 3]).buffer;
  assert.equal(buf.detached, false);
  const moved = buf.transfer();
  assert.equal(buf.detached, true);
  assert.equal(buf.byteLength, 0);
  assert.deepEqual(new Uint8Array(moved), new Uint8Array([1, 2, 3]));
  const longer = moved.transferToFixedLength(5);
  assert.deepEqual(new Uint8Array(longer), new Uint8Array([1, 2, 3, 0, 0]));
  assert.throws(() => moved.transfer(), TypeError);
});

test("iterator helpers", () => {
  assert.equal(typeof Iterator, "function");
  assert.ok([].values() instanceof Iterator);
  function* naturals() { let n = 0; for (;;) yield n++; }
  assert.deepEqual(naturals().filter((n) => n % 2).map((n) => n * 10).drop(1).take(3).toArray(), [30, 50, 70]);
  assert.deepEqual([1, 2].values().flatMap((n) => [n, n]).toArray(), [1, 1, 2, 2]);
  assert.equal([1, 2, 3].values().reduce((s, n) => s + n), 6);
  assert.equal([1, 2, 3].values().some((n) => n > 2), true);
  assert.equal([1, 2, 3].values().every((n) => n > 2), false);
  assert.equal([1, 2, 3].values().find((n) => n > 1), 2);
  const seen = [];
  new Set(["a", "b"]).values().forEach((v) => seen.push(v));
  assert.deepEqual(seen, ["a", "b"]);
  const it = Iterator.from({ next() { return { done: false, value: 1 }; } });
  assert.deepEqual(it.take(2).toArray(), [1, 1]);
});

test("a tenant's own assignment wins", () => {
  const mine = () => "mine";
  String.prototype.toWellFormed = mine;
  assert.equal("x".toWellFormed(), "mine");
  delete String.prototype.toWellFormed;
  assert.equal("x".toWellFormed, undefined);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
