// Workflows (env.WF, js/lazy/workflows.js): the binding's checks, cloudflare:workflows and
// WorkflowEntrypoint, and runs that finish within the request (each wake-up is an alarm event of
// the instance's Durable Object, so the test polls status()). tests/js_api_test.cc binds WF to
// this file's TestWorkflow; replays across sleeps and retries, events, pause/resume and restarts
// of the server are in tests/workflows_test.cc.
import { WorkflowEntrypoint } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { test, assert, run } from "./testing/harness.js";

let WF;

export class TestWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    const plan = event.payload.plan;
    if (plan === "same-names") {
      // Steps of one name are told apart by their order in the run.
      const a = await step.do("same", async () => "first");
      const b = await step.do("same", { retries: { limit: 2, delay: "1 second" } }, async (ctx) => [ctx.step, ctx.attempt, ctx.config]);
      return [a, b, this.env === WF_ENV, typeof this.ctx.waitUntil];
    }
    if (plan === "parallel") {
      // A sleep beside a running step: the run suspends once the step is done, then goes on.
      const [, value] = await Promise.all([step.sleep("short", 300), step.do("work", async () => 42)]);
      const later = await step.sleepUntil("until", new Date(Date.now() + 100));
      return [value, later ?? null];
    }
    if (plan === "bad-duration") await step.sleep("nap", "soon");
    if (plan === "bad-name") await step.do("", async () => 1);
    if (plan === "uncloneable") await step.do("fn", async () => () => 1);
    if (plan === "throws-value") throw 7;
    return event.payload;
  }
}

let WF_ENV;

async function finished(instance) {
  for (let i = 0; i < 100; i++) {
    const status = await instance.status();
    if (["complete", "errored", "terminated"].includes(status.status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return instance.status();
}

test("cloudflare:workflows' NonRetryableError and WorkflowEntrypoint", () => {
  const e = new NonRetryableError("nope");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "NonRetryableError");
  assert.equal(e.message, "nope");
  assert.equal(new NonRetryableError("x", "PaymentError").name, "PaymentError");
  const entry = new TestWorkflow({ waitUntil() {} }, { A: 1 });
  assert.deepEqual(entry.env, { A: 1 });
  assert.equal(typeof entry.ctx.waitUntil, "function");
});

test("create, get, ids and batches are checked", async () => {
  const instance = await WF.create({ id: "checked", params: { n: 1 } });
  assert.equal(instance.id, "checked");
  await assert.rejects(WF.create({ id: "checked" }), Error, "instance.already_exists");
  await assert.rejects(WF.get("never-made"), Error, "instance.not_found");
  await assert.rejects(WF.create({ id: "" }), TypeError);
  await assert.rejects(WF.create({ id: "x".repeat(101) }), TypeError);
  await assert.rejects(WF.create({ id: "has space" }), TypeError);
  await assert.rejects(WF.createBatch([]), TypeError);
  await assert.rejects(WF.createBatch(new Array(101).fill({})), TypeError);
  await assert.rejects(instance.sendEvent({ payload: 1 }), TypeError, "event type");
  await assert.rejects(instance.sendEvent(null), TypeError);
  const generated = await WF.create({ params: { plan: "none" } });
  assert.ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(generated.id), generated.id);
  assert.equal((await WF.get("checked")).id, "checked");
  assert.deepEqual(await finished(instance), { status: "complete", output: { n: 1 } });
});

test("steps of one name are kept apart; env and ctx reach the class; the step context", async () => {
  const instance = await WF.create({ params: { plan: "same-names" } });
  // The second's callback got its step context (https://developers.cloudflare.com/workflows/build/step-context/).
  const context = [{ name: "same", count: 2 }, 1, { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "10 minutes" }];
  assert.deepEqual(await finished(instance), { status: "complete", output: ["first", context, true, "function"] });
});

test("a sleep beside a running step, and sleepUntil", async () => {
  const instance = await WF.create({ params: { plan: "parallel" } });
  assert.deepEqual(await finished(instance), { status: "complete", output: [42, null] });
});

test("bad durations, step names and results error the instance", async () => {
  const outcomes = [];
  for (const plan of ["bad-duration", "bad-name", "uncloneable", "throws-value"]) {
    const status = await finished(await WF.create({ params: { plan } }));
    outcomes.push([status.status, status.error.name]);
  }
  assert.deepEqual(outcomes, [["errored", "TypeError"], ["errored", "TypeError"], ["errored", "TypeError"], ["errored", "Error"]]);
});

export default {
  async fetch(request, env) {
    WF = env.WF;
    WF_ENV = env;
    return Response.json(await run());
  },
};
