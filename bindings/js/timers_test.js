// setTimeout & co. (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html) and
// queueMicrotask.
import { test, assert, run } from "./testing/harness.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("shape and ids", () => {
  for (const name of ["setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask"]) {
    assert.equal(typeof globalThis[name], "function", name);
    assert.ok(!Object.getOwnPropertyDescriptor(globalThis, name).enumerable, `${name} not enumerable`);
  }
  const a = setTimeout(() => {}, 1000);
  const b = setTimeout(() => {}, 1000);
  const c = setInterval(() => {}, 1000);
  assert.ok(Number.isInteger(a) && a > 0, "positive integer id");
  assert.ok(a !== b && b !== c && a !== c, "distinct ids across timeouts and intervals");
  clearTimeout(a);
  clearTimeout(b);
  clearInterval(c);
});

test("string handlers and bad arguments are refused", () => {
  assert.throws(() => setTimeout("1 + 1", 0), TypeError);
  assert.throws(() => setInterval("1 + 1", 0), TypeError);
  assert.throws(() => setTimeout(), TypeError);
  assert.throws(() => setTimeout({}), TypeError);
  assert.throws(() => setTimeout(() => {}, Symbol("ms")), TypeError);
  assert.throws(() => queueMicrotask("code"), TypeError);
  assert.throws(() => queueMicrotask(), TypeError);
  assert.equal(clearTimeout(), undefined, "clearTimeout() is fine");
  assert.equal(clearTimeout(123456789), undefined, "unknown id is fine");
  assert.equal(clearInterval("nope"), undefined);
  assert.equal(clearTimeout(null), undefined);
});

test("timeouts fire with arguments, in order, with this = globalThis", async () => {
  const order = [];
  let self;
  let args;
  setTimeout(() => order.push("20"), 20);
  setTimeout(function (x, y) { self = this; args = [x, y]; order.push("10"); }, 10, "a", 2);
  setTimeout(() => order.push("0"));
  setTimeout(() => order.push("negative"), -5);
  setTimeout(() => order.push("NaN"), NaN);
  await sleep(50);
  assert.equal(order.indexOf("20"), 4, "longest last");
  assert.equal(order[3], "10");
  assert.ok(order.slice(0, 3).includes("0") && order.slice(0, 3).includes("negative") && order.slice(0, 3).includes("NaN"), "0, negative and NaN fire first");
  assert.deepEqual(args, ["a", 2]);
  assert.equal(self, globalThis);
});

test("clearTimeout cancels, also through clearInterval", async () => {
  let fired = 0;
  const a = setTimeout(() => fired++, 5);
  const b = setTimeout(() => fired++, 5);
  clearTimeout(a);
  clearInterval(b);
  const c = setTimeout(() => fired++, 5);
  clearTimeout(String(c));
  await sleep(30);
  assert.equal(fired, 0);
});

test("setInterval repeats until cleared, also from its own callback", async () => {
  let ticks = 0;
  const id = setInterval(() => {
    ticks++;
    if (ticks === 3) clearInterval(id);
  }, 2);
  await sleep(60);
  assert.equal(ticks, 3);
  let zero = 0;
  const z = setInterval(() => zero++, 0);
  await sleep(20);
  clearInterval(z);
  const seen = zero;
  assert.ok(seen >= 1, "an interval of 0 still runs");
  await sleep(10);
  assert.equal(zero, seen, "and stops when cleared");
});

test("a throwing callback does not stop other timers", async () => {
  let ran = false;
  setTimeout(() => { throw new Error("expected: reported to the log"); }, 1);
  setTimeout(() => { ran = true; }, 5);
  await sleep(20);
  assert.ok(ran);
});

test("queueMicrotask runs before timers, in order", async () => {
  const order = [];
  setTimeout(() => order.push("timeout"), 0);
  queueMicrotask(() => order.push("micro1"));
  Promise.resolve().then(() => order.push("promise"));
  queueMicrotask(() => order.push("micro2"));
  queueMicrotask(() => { throw new Error("expected: reported to the log"); });
  queueMicrotask(() => order.push("after throw"));
  assert.deepEqual(order, [], "nothing ran synchronously");
  await sleep(10);
  assert.deepEqual(order, ["micro1", "promise", "micro2", "after throw", "timeout"]);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
