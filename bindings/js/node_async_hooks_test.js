// node:async_hooks under nodejs_compat: AsyncLocalStorage's store across await, promise
// reactions, timers, queueMicrotask and stream callbacks; enterWith, exit, disable, bind,
// snapshot; AsyncResource (lazy module async_context, js/03_async_context.js).
import { test, assert, run } from "./testing/harness.js";
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import * as bare from "async_hooks";
import hooks, { createHook, executionAsyncId, executionAsyncResource, triggerAsyncId, asyncWrapProviders } from "node:async_hooks";
import { setTimeout as wait, scheduler } from "node:timers/promises";
import process from "node:process";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const als = new AsyncLocalStorage();
const other = new AsyncLocalStorage();

test("run, getStore, nesting, exit, the return value", () => {
  assert.equal(bare.AsyncLocalStorage, AsyncLocalStorage);
  assert.equal(als.getStore(), undefined);
  const result = als.run(1, (a, b) => {
    assert.equal(als.getStore(), 1);
    assert.equal(other.getStore(), undefined);
    other.run("x", () => {
      assert.equal(als.getStore(), 1, "outer storage kept");
      assert.equal(other.getStore(), "x");
      als.run(2, () => assert.equal(als.getStore(), 2));
      assert.equal(als.getStore(), 1);
      als.exit(() => {
        assert.equal(als.getStore(), undefined);
        assert.equal(other.getStore(), "x");
      });
    });
    assert.equal(other.getStore(), undefined);
    return a + b;
  }, 3, 4);
  assert.equal(result, 7);
  assert.equal(als.getStore(), undefined, "restored after run");
  assert.throws(() => als.run(1, () => { throw new Error("boom"); }), Error);
  assert.equal(als.getStore(), undefined, "restored after a throw");
  assert.throws(() => als.run(1, "not a function"), TypeError);
});

test("await and promise reactions keep the store of where they were awaited", async () => {
  const seen = await als.run({ id: "a" }, async () => {
    const out = [als.getStore().id];
    await null;
    out.push(als.getStore().id);
    await sleep(1);
    out.push(als.getStore().id);
    out.push(await Promise.resolve().then(() => als.getStore().id));
    out.push(await new Promise((resolve) => queueMicrotask(() => resolve(als.getStore().id))));
    return out;
  });
  assert.deepEqual(seen, ["a", "a", "a", "a", "a"]);
  assert.equal(als.getStore(), undefined, "the caller's frame after await");
  // A reaction takes the frame of `then`, not of the resolver.
  let resolve;
  const p = new Promise((r) => (resolve = r));
  const got = als.run("then-side", () => p.then(() => als.getStore()));
  als.run("resolve-side", () => resolve());
  assert.equal(await got, "then-side");
  // The same for await: the frame is taken when `await` suspends, not when the promise settles.
  let resolveAwaited;
  const awaited = new Promise((r) => (resolveAwaited = r));
  const gotAwait = als.run("await-side", async () => {
    await awaited;
    return als.getStore();
  });
  als.run("resolve-side", () => resolveAwaited());
  assert.equal(await gotAwait, "await-side");
  // A reaction registered in the root frame right after one registered in a run: root, not the
  // frame the previous job ran in.
  let resolveBoth;
  const both = new Promise((r) => (resolveBoth = r));
  const first = als.run("first", () => both.then(() => als.getStore()));
  const second = both.then(() => als.getStore());
  const third = both.then(() => Promise.resolve({ then(r) { r(als.getStore()); } }));
  resolveBoth();
  assert.deepEqual(await Promise.all([first, second, third]), ["first", undefined, undefined]);
  // A thenable's then() that enters a store: what runs after it, registered in the root frame, does
  // not see it.
  let resolveAfter;
  const after = new Promise((r) => (resolveAfter = r));
  const entering = Promise.resolve({ then(r) { als.enterWith("thenable"); r(); } });
  const afterThenable = after.then(() => als.getStore());
  resolveAfter();
  await entering;
  assert.equal(await afterThenable, undefined);
});

test("setTimeout, setInterval, queueMicrotask and process.nextTick run in their scheduler's frame", async () => {
  const seen = [];
  await new Promise((done) => {
    als.run("t1", () => setTimeout(() => seen.push(["timeout", als.getStore()]), 2));
    als.run("t2", () => {
      let n = 0;
      const id = setInterval(() => {
        seen.push(["interval", als.getStore()]);
        if (++n === 2) {
          clearInterval(id);
          done();
        }
      }, 3);
    });
    als.run("q", () => queueMicrotask(() => seen.push(["microtask", als.getStore()])));
    als.run("tick", () => process.nextTick((x) => seen.push(["nextTick", `${als.getStore()}:${x}`]), 1));
  });
  await sleep(2);
  seen.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  assert.deepEqual(seen, [["interval", "t2"], ["interval", "t2"], ["microtask", "q"], ["nextTick", "tick:1"], ["timeout", "t1"]]);
});

test("many interleaved runs never see each other's store", async () => {
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => als.run(i, async () => {
    const seen = [];
    for (let k = 0; k < 3; k++) {
      await sleep((i * 7 + k * 3) % 5);
      seen.push(als.getStore());
    }
    return seen;
  })));
  results.forEach((seen, i) => assert.deepEqual(seen, [i, i, i], `run ${i}`));
});

test("stream sources, sinks and transformers run in the frame the stream was made in", async () => {
  const stream = als.run("source", () => {
    let n = 0;
    return new ReadableStream({
      start() { assert.equal(als.getStore(), "source"); },
      async pull(controller) {
        await null;
        controller.enqueue(als.getStore());
        if (++n === 2) controller.close();
      },
    }, { highWaterMark: 0 });
  });
  const transform = als.run("transform", () => new TransformStream({
    transform(chunk, controller) { controller.enqueue(`${chunk}/${als.getStore()}`); },
    flush(controller) { controller.enqueue(`flush/${als.getStore()}`); },
  }));
  const written = [];
  const sink = als.run("sink", () => new WritableStream({
    write(chunk) { written.push(`${chunk}/${als.getStore()}`); },
    close() { written.push(`close/${als.getStore()}`); },
  }));
  await als.run("reader", () => stream.pipeThrough(transform).pipeTo(sink));
  assert.deepEqual(written, ["source/transform/sink", "source/transform/sink", "flush/transform/sink", "close/sink"]);
  // cancel and abort: the frame the stream was made in, not the canceller's.
  let cancelSeen, abortSeen;
  const cancelled = als.run("cancel-source", () => new ReadableStream({ cancel() { cancelSeen = als.getStore(); } }));
  const aborted = als.run("abort-sink", () => new WritableStream({ abort() { abortSeen = als.getStore(); } }));
  await als.run("canceller", () => Promise.all([cancelled.cancel("no"), aborted.abort("no")]));
  assert.deepEqual([cancelSeen, abortSeen], ["cancel-source", "abort-sink"]);
});

test("timers/promises, AbortSignal.timeout, MessagePort and dispatchEvent", async () => {
  assert.equal(await als.run("tp", async () => {
    await wait(1);
    await scheduler.wait(1);
    return als.getStore();
  }), "tp");
  // An abort from AbortSignal.timeout: the frame that made the signal (its timer's).
  const aborted = await als.run("signal", () => new Promise((resolve) => {
    AbortSignal.timeout(1).addEventListener("abort", () => resolve(als.getStore()));
  }));
  assert.equal(aborted, "signal");
  // controller.abort(): its listeners run in the aborter's frame (a synchronous dispatch, as in
  // Node and Workers), and so does what they schedule.
  const controller = als.run("made", () => new AbortController());
  const abortSeen = new Promise((resolve) => controller.signal.addEventListener("abort", () => {
    setTimeout(() => resolve(als.getStore()), 1);
  }));
  als.run("aborter", () => controller.abort());
  assert.equal(await abortSeen, "aborter");
  // A message: the frame of postMessage (its delivery is scheduled there).
  const { port1, port2 } = new MessageChannel();
  const message = new Promise((resolve) => (port2.onmessage = () => resolve(als.getStore())));
  als.run("poster", () => port1.postMessage("hi"));
  assert.equal(await message, "poster");
  port1.close();
  // A synchronous dispatch: the dispatcher's frame, as in Node.
  const target = new EventTarget();
  let seen;
  als.run("listener", () => target.addEventListener("x", () => (seen = als.getStore())));
  als.run("dispatcher", () => target.dispatchEvent(new Event("x")));
  assert.equal(seen, "dispatcher");
});

test("await of a thenable: the continuation keeps the store", async () => {
  // (The thenable's own then() runs in the root frame: V8 10.2 does not carry the frame into
  // the job that calls it; README "Workers compatibility" lists it.)
  const thenable = { then(resolve) { setTimeout(() => resolve(1), 1); } };
  assert.equal(await als.run("awaiter", async () => (await thenable) && als.getStore()), "awaiter");
});

test("enterWith and disable", async () => {
  const seen = await (async () => {
    await null;  // a job of its own: enterWith lasts for the rest of it
    als.enterWith("entered");
    const now = als.getStore();
    await null;
    const later = als.getStore();
    als.disable();
    const disabled = als.getStore();
    als.run("again", () => {});
    return [now, later, disabled];
  })();
  assert.deepEqual(seen, ["entered", "entered", undefined]);
  assert.equal(als.getStore(), undefined, "enterWith stays in its own continuation");
  assert.equal(als.run("on", () => als.getStore()), "on", "run enables again");
});

test("bind, snapshot and AsyncResource", async () => {
  const bound = als.run("bound", () => AsyncLocalStorage.bind((x) => `${als.getStore()}:${x}`));
  const snapshot = als.run("snap", () => AsyncLocalStorage.snapshot());
  const resource = als.run("res", () => new AsyncResource("test"));
  assert.equal(bound(1), "bound:1");
  assert.equal(snapshot((x) => `${als.getStore()}:${x}`, 2), "snap:2");
  assert.equal(als.run("other", () => snapshot(() => als.getStore())), "snap");
  const self = {};
  assert.equal(resource.runInAsyncScope(function (x) { return [this, als.getStore(), x]; }, self, 3)[1], "res");
  assert.equal(resource.bind(() => als.getStore())(), "res");
  const staticBound = als.run("static", () => AsyncResource.bind(function () { return als.getStore(); }));
  assert.equal(await new Promise((r) => setTimeout(() => r(staticBound()), 1)), "static");
  assert.equal(resource.emitDestroy(), resource);
  assert.throws(() => new AsyncResource(), TypeError);
});

test("AsyncLocalStorage options: defaultValue outside run (not inside exit), name", async () => {
  const withDefault = new AsyncLocalStorage({ defaultValue: "dflt", name: "named" });
  assert.equal(withDefault.name, "named");
  assert.equal(new AsyncLocalStorage().name, "");
  assert.equal(withDefault.getStore(), "dflt");
  assert.equal(withDefault.run("set", () => withDefault.getStore()), "set");
  assert.equal(await withDefault.run("set", async () => { await sleep(1); return withDefault.getStore(); }), "set");
  assert.equal(withDefault.run("set", () => withDefault.exit(() => withDefault.getStore())), undefined);
  assert.equal(als.run(1, () => withDefault.getStore()), "dflt", "another storage's run");
  assert.throws(() => new AsyncLocalStorage(5), TypeError);
});

test("the async hooks themselves are stubs, as in Workers", () => {
  const hook = createHook({ init() { throw new Error("never called"); } });
  assert.equal(hook.enable(), hook);
  assert.equal(hook.disable(), hook);
  assert.equal(executionAsyncId(), 0);
  assert.equal(triggerAsyncId(), 0);
  assert.equal(typeof executionAsyncResource(), "object");
  assert.equal(asyncWrapProviders.NONE, 0);
  assert.equal(hooks.AsyncLocalStorage, AsyncLocalStorage);
  assert.equal(hooks.createHook, createHook);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
