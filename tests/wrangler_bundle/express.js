// An Express 5 app as Workers runs one (https://developers.cloudflare.com/workers/runtime-apis/nodejs/http/):
// the app listens on a port of node:http, and the module's default export is
// cloudflare:node's httpServerHandler for that port. npm express 5.3.0, pinned in package.json,
// bundled by tests/hono/build.mjs with wrangler's preset (tests/wrangler_bundle_test.cc).
import { httpServerHandler } from "cloudflare:node";
import express from "express";

const app = express();
app.use(express.json());
app.get("/hello/:name", (req, res) => {
  res.set("x-powered", "express").json({ hello: req.params.name, query: req.query, protocol: req.protocol, ip: req.ip });
});
app.post("/items", (req, res) => res.status(201).json({ created: req.body }));
app.get("/redirect", (req, res) => res.redirect(302, "/hello/redirected"));
app.get("/cookie", (req, res) => res.cookie("session", "s1", { httpOnly: true }).cookie("theme", "dark").send("two cookies"));
app.get("/throw", () => {
  throw new Error("route failed");
});
app.use((req, res) => res.status(404).type("text").send(`no route for ${req.method} ${req.path}`));
app.listen(3000);

export default httpServerHandler({ port: 3000 });
