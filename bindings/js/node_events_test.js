// node:events under nodejs_compat (js/lazy/node_events.js: npm events 3.3.0 plus on/addAbortListener).
import { test, assert, run } from "./testing/harness.js";
import EventEmitter, { once, on } from "node:events";
import { EventEmitter as Named } from "events";

test("on / once / off / emit, in order", () => {
  const e = new EventEmitter();
  const seen = [];
  const listener = (x) => seen.push(`on:${x}`);
  e.on("data", listener);
  e.once("data", (x) => seen.push(`once:${x}`));
  assert.equal(e.listenerCount("data"), 2);
  assert.ok(e.emit("data", 1));
  e.emit("data", 2);
  e.off("data", listener);
  e.emit("data", 3);
  assert.deepEqual(seen, ["on:1", "once:1", "on:2"]);
  assert.ok(!e.emit("nothing"));
  assert.equal(Named, EventEmitter);
});

test("an unhandled 'error' event throws", () => {
  const e = new EventEmitter();
  assert.throws(() => e.emit("error", new TypeError("boom")), TypeError);
});

test("subclasses (class extends EventEmitter)", () => {
  class Job extends EventEmitter {
    run() {
      this.emit("done", 42);
    }
  }
  const job = new Job();
  let got;
  job.on("done", (v) => (got = v));
  job.run();
  assert.equal(got, 42);
});

test("events.once resolves with the arguments, rejects on 'error'", async () => {
  const e = new EventEmitter();
  const p = once(e, "ready");
  e.emit("ready", "a", "b");
  assert.deepEqual(await p, ["a", "b"]);
  const q = once(e, "ready");
  e.emit("error", new Error("bad"));
  await assert.rejects(q, /bad/);
});

test("events.on iterates events", async () => {
  const e = new EventEmitter();
  const got = [];
  const loop = (async () => {
    for await (const [value] of on(e, "tick")) {
      got.push(value);
      if (got.length === 3) break;
    }
  })();
  for (let i = 0; i < 3; i++) e.emit("tick", i);
  await loop;
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(e.listenerCount("tick"), 0, "break removes the listener");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
