// node:net and node:tls (nodejs_compat) over cloudflare:sockets: the API's shape, argument
// checks, and a refused connection as Node-style code sees it (an 'error' event with a code).
// This tenant lists nothing in `outbound`; connections to real peers (an echo, STARTTLS with
// tls.connect({socket})) are tests/sockets_test.cc's.
import net from "node:net";
import tls from "node:tls";
import { Duplex } from "node:stream";
import { test, assert, run } from "./testing/harness.js";

const failure = (socket) => new Promise((resolve) => socket.once("error", resolve));

test("isIP tells IPv4, IPv6 and names apart", () => {
  assert.equal(net.isIP("127.0.0.1"), 4);
  assert.equal(net.isIP("::1"), 6);
  assert.equal(net.isIP("2001:db8::8a2e:370:7334"), 6);
  assert.equal(net.isIP("::ffff:10.0.0.1"), 6);
  assert.equal(net.isIP("256.1.1.1"), 0);
  assert.equal(net.isIP("example.com"), 0);
  assert.equal(net.isIPv4("10.0.0.1"), true);
  assert.equal(net.isIPv6("10.0.0.1"), false);
});

test("a Socket is a Duplex; bad ports throw at once; there are no servers", () => {
  const socket = new net.Socket();
  assert.ok(socket instanceof Duplex);
  assert.equal(socket.pending, true);
  assert.equal(net.createConnection, net.connect);
  assert.throws(() => net.connect(0, "127.0.0.1"), { name: "RangeError" });
  assert.throws(() => net.connect({ port: 70000 }), RangeError);
  assert.throws(() => net.connect({ path: "/run/db.sock" }), Error);
  assert.throws(() => net.createServer(), { message: /not supported/ });
  assert.throws(() => tls.createServer(), { message: /not supported/ });
  assert.equal(typeof tls.createSecureContext({}).context, "object");
});

test("a refused connection is an 'error' event with the guard's message and a code", async () => {
  const socket = net.connect(9, "127.0.0.1");
  assert.equal(socket.connecting, true);
  const error = await failure(socket);
  assert.equal(error.message, "connect() to 127.0.0.1:9 refused: loopback address (add it to outbound to allow)");
  assert.equal(error.code, "ERR_ATOLL_OUTBOUND_REFUSED");
  await new Promise((resolve) => (socket.destroyed ? resolve() : socket.once("close", resolve)));
  assert.equal(socket.destroyed, true);
});

test("tls.connect to a refused address fails with the same error", async () => {
  const socket = tls.connect({ host: "127.0.0.1", port: 9, servername: "db.test" });
  assert.ok(socket instanceof tls.TLSSocket);
  assert.ok(socket instanceof net.Socket);
  assert.equal(socket.encrypted, true);
  const error = await failure(socket);
  assert.ok(/^connect\(\) to 127\.0\.0\.1:9 refused: loopback address/.test(error.message), error.message);
});

test("a write before connect() fails the stream", async () => {
  const socket = new net.Socket();
  const error = failure(socket);
  socket.write("early");
  assert.ok(/not connected/.test((await error).message));
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
