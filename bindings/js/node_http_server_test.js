// node:http's server side and cloudflare:node (nodejs_compat): a Server listening on a port of
// the context's table answers Requests handed to it by handleAsNodeRequest / httpServerHandler,
// its ServerResponse becoming the Response (whole when ended at once, else streamed).
import http, { createServer, Server, ServerResponse } from "node:http";
import { httpServerHandler, handleAsNodeRequest } from "cloudflare:node";
import { test, assert, run } from "./testing/harness.js";

const listening = (server, ...args) => new Promise((resolve) => server.listen(...args, () => resolve(server)));

test("a request reaches the listener with its method, url, headers and body", async () => {
  const server = await listening(createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, x: req.headers["x-a"], body }));
    });
  }), 8080);
  const response = await handleAsNodeRequest(8080, new Request("http://example.test/path?q=1", {
    method: "POST", headers: { "x-a": "1" }, body: "hello",
  }));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(response.headers.getSetCookie(), ["a=1", "b=2"]);
  assert.deepEqual(await response.json(), { method: "POST", url: "/path?q=1", host: "example.test", x: "1", body: "hello" });
  server.close();
});

test("writeHead, a streamed body, HEAD and 204 answer as HTTP would", async () => {
  const server = await listening(new Server((req, res) => {
    if (req.url === "/made") return res.writeHead(201, "Made", { "x-b": "2" }).end("made");
    if (req.url === "/empty") return res.writeHead(204).end();
    res.write("first,");
    setTimeout(() => { res.write("second,"); res.end("last"); }, 5);
  }), 8081);
  const handler = httpServerHandler({ port: 8081 });
  const made = await handler.fetch(new Request("http://x/made"));
  assert.equal(made.status, 201);
  assert.equal(made.statusText, "Made");
  assert.equal(made.headers.get("x-b"), "2");
  assert.equal(await made.text(), "made");
  const streamed = await handler.fetch(new Request("http://x/stream"));
  assert.equal(await streamed.text(), "first,second,last");
  const head = await handler.fetch(new Request("http://x/made", { method: "HEAD" }));
  assert.equal(head.body, null);
  assert.equal((await handler.fetch(new Request("http://x/empty"))).status, 204);
  server.close();
});

test("ports: ephemeral, in use, freed by close, and none listening", async () => {
  const a = await listening(createServer(() => {}), 0);
  assert.ok(a.address().port >= 49152);
  const b = await listening(createServer(() => {}), 9090);
  const taken = await new Promise((resolve) => createServer().on("error", resolve).listen(9090));
  assert.equal(taken.code, "EADDRINUSE");
  await new Promise((resolve) => b.close(resolve));
  const again = await listening(createServer((req, res) => res.end("again")), 9090);
  assert.equal(await (await handleAsNodeRequest(9090, new Request("http://x/"))).text(), "again");
  assert.throws(() => handleAsNodeRequest(9999, new Request("http://x/")), /no http.Server is listening on port 9999/);
  assert.throws(() => createServer().listen(70000), { code: "ERR_SOCKET_BAD_PORT" });
  a.close();
  again.close();
});

test("httpServerHandler takes a server, and a listener's throw rejects", async () => {
  const server = createServer((req) => {
    if (req.url === "/throw") throw new Error("listener failed");
  });
  const handler = httpServerHandler(server);
  await assert.rejects(handler.fetch(new Request("http://x/throw")), /listener failed/);
  assert.ok(new ServerResponse(null) instanceof http.OutgoingMessage);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
