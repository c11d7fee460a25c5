// cloudflare:sockets (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/): the
// API's shape, its argument checks, and what a refused connection looks like from every side.
// This tenant lists nothing in `outbound`, so every loopback connect() is refused by the guard;
// connections to real peers (echo, half-open, 48 MB each way, startTls) are tests/sockets_test.cc.
import { connect } from "cloudflare:sockets";
import { test, assert, run } from "./testing/harness.js";

test("connect() checks its address and options at once", () => {
  assert.equal(typeof connect, "function");
  assert.throws(() => connect("127.0.0.1"), TypeError, "no port");
  assert.throws(() => connect("127.0.0.1:0"), TypeError, "port 0");
  assert.throws(() => connect("127.0.0.1:65536"), TypeError, "port past 65535");
  assert.throws(() => connect({ hostname: "127.0.0.1", port: "x" }), TypeError, "a port that is not a number");
  assert.throws(() => connect({ port: 80 }), TypeError, "no hostname");
  assert.throws(() => connect(42), TypeError, "neither a string nor an object");
  assert.throws(() => connect("127.0.0.1:80", { secureTransport: "maybe" }), { name: "TypeError", message: /secureTransport/ });
});

test("a refused connection rejects opened and closed and errors the readable stream", async () => {
  const socket = connect({ hostname: "127.0.0.1", port: 9 });
  assert.ok(socket.readable instanceof ReadableStream);
  assert.ok(socket.writable instanceof WritableStream);
  assert.equal(socket.readable, socket.readable, "the same stream on every read");
  assert.equal(socket.upgraded, false);
  assert.equal(socket.secureTransport, "off");
  assert.equal(Object.prototype.toString.call(socket), "[object Socket]");
  const refused = { name: "Error", message: /^connect\(\) to 127\.0\.0\.1:9 refused: loopback address \(add it to outbound to allow\)$/ };
  await assert.rejects(socket.opened, refused);
  await assert.rejects(socket.closed, refused);
  await assert.rejects(socket.readable.getReader().read(), refused);
  await assert.rejects(socket.writable.getWriter().write(new Uint8Array(1)), refused);
  // An IPv6 literal is refused as such, with its brackets.
  await assert.rejects(connect({ hostname: "::1", port: 9 }).opened, { message: /^connect\(\) to \[::1\]:9 refused: loopback/ });
});

test("close() before the connection opened resolves closed and rejects opened", async () => {
  const socket = connect("127.0.0.1:9");
  const closed = socket.close();
  assert.equal(closed, socket.closed);
  await closed;
  await assert.rejects(socket.opened, Error);
  await assert.rejects(socket.writable.getWriter().write(new Uint8Array(1)), TypeError);
  assert.deepEqual(await socket.readable.getReader().read(), { done: true, value: undefined });
});

test("writes take bytes only", async () => {
  const socket = connect("127.0.0.1:9");
  await assert.rejects(socket.writable.getWriter().write("text"), TypeError);
  socket.close();
});

test("startTls() needs a socket made with secureTransport: starttls, once", () => {
  const plain = connect("127.0.0.1:9");
  assert.throws(() => plain.startTls(), { name: "TypeError", message: /starttls/ });
  const tls = connect("127.0.0.1:9", { secureTransport: "on" });
  assert.equal(tls.secureTransport, "on");
  assert.throws(() => tls.startTls(), TypeError);
  // Refused by the guard at once: its connection is gone (an upgrade that works, and a second
  // startTls() on it, are tests/sockets_test.cc's).
  const refused = connect("127.0.0.1:9", { secureTransport: "starttls" });
  assert.equal(refused.secureTransport, "starttls");
  assert.throws(() => refused.startTls({ expectedServerHostname: "db.test" }), { name: "TypeError", message: /closed/ });
  assert.equal(refused.upgraded, false);
  plain.close();
  tls.close();
});

test("each connect() is a subrequest of the request", async () => {
  // The tenant's default subrequests limit is 50; this file made a few above.
  const sockets = [];
  let error = null;
  try {
    for (let i = 0; i < 60; i++) sockets.push(connect("127.0.0.1:9"));
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TypeError, "a TypeError past the limit");
  assert.ok(/subrequests/.test(error.message), error.message);
  for (const socket of sockets) socket.close();
});

test("import() of a built-in module at run time", async () => {
  const sockets = await import("cloudflare:sockets");
  assert.equal(sockets.connect, connect, "the same exports as the static import");
  const workers = await import("cloudflare:workers");
  assert.equal(typeof workers.WorkerEntrypoint, "function");
  // node:* needs the nodejs_compat flag, which this tenant does not have.
  await assert.rejects(import("node:buffer"), { name: "TypeError", message: /nodejs_compat/ });
  // Files and npm packages are the bundler's.
  await assert.rejects(import("./testing/harness.js"), { name: "TypeError", message: /bundled with the script/ });
  await assert.rejects(import("left-pad"), TypeError);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
