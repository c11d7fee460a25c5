// MessageChannel, MessagePort, MessageEvent (https://html.spec.whatwg.org/multipage/web-messaging.html).
import { test, assert, run } from "./testing/harness.js";

const nextMessage = (port) => new Promise((resolve) => port.addEventListener("message", resolve, { once: true }));

test("shape", () => {
  const channel = new MessageChannel();
  assert.ok(channel.port1 instanceof MessagePort);
  assert.ok(channel.port1 instanceof EventTarget);
  assert.notEqual(channel.port1, channel.port2);
  assert.equal(channel.port1, channel.port1, "same port on every read");
  assert.throws(() => new MessagePort(), TypeError);
  const event = new MessageEvent("message", { data: { a: 1 }, origin: "o", lastEventId: "7" });
  assert.deepEqual(event.data, { a: 1 });
  assert.equal(event.origin, "o");
  assert.equal(event.lastEventId, "7");
  assert.deepEqual(event.ports, []);
  assert.equal(new MessageEvent("message").data, null);
  assert.ok(event instanceof Event);
});

test("messages are cloned, ordered and asynchronous", async () => {
  const { port1, port2 } = new MessageChannel();
  const received = [];
  const both = new Promise((resolve) => {
    port2.onmessage = (event) => {
      received.push(event.data);
      if (received.length === 2) resolve();
    };
  });
  const payload = { n: 1 };
  port1.postMessage(payload);
  payload.n = 2;
  port1.postMessage("second");
  assert.deepEqual(received, [], "not delivered synchronously");
  await both;
  assert.deepEqual(received, [{ n: 1 }, "second"], "cloned at postMessage, in order");
  const back = nextMessage(port1);
  port1.start();
  port2.postMessage("reply");
  assert.equal((await back).data, "reply", "both directions");
});

test("addEventListener needs start(); queued messages wait for it", async () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage("queued");
  let got = null;
  port2.addEventListener("message", (event) => { got = event.data; });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(got, null, "not started");
  const delivered = nextMessage(port2);
  port2.start();
  await delivered;
  assert.equal(got, "queued");
});

test("transfer, errors and close", async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  const buffer = new Uint8Array([1, 2]).buffer;
  const message = nextMessage(port2);
  port1.postMessage(buffer, [buffer]);
  assert.equal(buffer.byteLength, 0, "transferred");
  assert.deepEqual(new Uint8Array((await message).data), new Uint8Array([1, 2]));
  assert.equal(assert.throws(() => port1.postMessage(() => 1), DOMException).name, "DataCloneError");
  assert.throws(() => port1.postMessage(), TypeError);
  let late = false;
  port2.onmessage = () => { late = true; };
  port1.close();
  port1.postMessage("dropped");
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(late, false, "a closed port sends nothing");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
