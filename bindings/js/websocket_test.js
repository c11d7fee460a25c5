// WebSocketPair, WebSocket, CloseEvent and Response's webSocket (Workers:
// https://developers.cloudflare.com/workers/runtime-apis/websockets/). The two ends of a pair kept
// in one isolate talk to each other; the upgrade over a real connection is tests/websocket_test.cc.
import { test, assert, run } from "./testing/harness.js";

const next = (ws, type) => new Promise((resolve) => ws.addEventListener(type, resolve, { once: true }));

test("shape", () => {
  const pair = new WebSocketPair();
  const [client, server] = Object.values(pair);
  assert.ok(client instanceof WebSocket);
  assert.ok(server instanceof EventTarget);
  assert.equal(pair[0], client);
  assert.equal(pair[1], server);
  assert.equal(server.readyState, WebSocket.OPEN);
  assert.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
  assert.equal(server.CLOSED, 3);
  assert.equal(server.binaryType, "arraybuffer");
  server.binaryType = "nonsense";
  assert.equal(server.binaryType, "arraybuffer");
  assert.throws(() => new WebSocket("ftp://127.0.0.1:1"), DOMException, "only ws: and wss: (http:, https:) URLs");
  assert.throws(() => new WebSocket("ws://127.0.0.1:1/#fragment"), DOMException, "no fragment");
  assert.throws(() => new WebSocket("ws://127.0.0.1:1/", ["a", "a"]), DOMException, "no duplicated subprotocol");
  const close = new CloseEvent("close", { code: 4001, reason: "r", wasClean: true });
  assert.equal(close.code, 4001);
  assert.equal(close.reason, "r");
  assert.equal(close.wasClean, true);
  assert.ok(close instanceof Event);
});

test("send needs accept; close codes are checked", () => {
  const [client, server] = Object.values(new WebSocketPair());
  assert.throws(() => server.send("x"), TypeError);
  server.accept();
  assert.throws(() => server.accept(), TypeError);
  assert.throws(() => server.close(1001), DOMException);
  assert.throws(() => server.close(1000, "x".repeat(124)), DOMException);
  assert.equal(client.readyState, 1);
});

test("the two ends of a pair in one isolate exchange messages and the close", async () => {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  client.accept();
  const got = next(server, "message");
  client.send("hi");
  assert.equal((await got).data, "hi");
  const binary = next(client, "message");
  server.send(new Uint8Array([1, 2, 3]));
  const data = (await binary).data;
  assert.ok(data instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(data)], [1, 2, 3]);
  let viaHandler = null;
  client.onmessage = (event) => { viaHandler = event.data; };
  const again = next(client, "message");
  server.send("handler");
  await again;
  assert.equal(viaHandler, "handler");
  const closed = next(client, "close");
  server.close(4000, "done");
  const event = await closed;
  assert.equal(event.code, 4000);
  assert.equal(event.reason, "done");
  assert.equal(event.wasClean, true);
  assert.equal(server.readyState, 3);
  assert.throws(() => server.send("late"), TypeError);
});

test("events before accept() wait for it", async () => {
  const [client, server] = Object.values(new WebSocketPair());
  client.accept();
  client.send("early");
  await new Promise((resolve) => setTimeout(resolve, 5));
  const got = next(server, "message");
  server.accept();
  assert.equal((await got).data, "early");
});

test("Response webSocket: status 101 only, and only a WebSocket", () => {
  const [client] = Object.values(new WebSocketPair());
  const response = new Response(null, { status: 101, webSocket: client });
  assert.equal(response.status, 101);
  assert.equal(response.webSocket, client);
  assert.throws(() => new Response(null, { status: 200, webSocket: client }), RangeError);
  assert.throws(() => new Response(null, { status: 101, webSocket: {} }), TypeError);
  assert.throws(() => new Response(null, { status: 101 }), RangeError);
  assert.equal(new Response("x").webSocket, null);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
