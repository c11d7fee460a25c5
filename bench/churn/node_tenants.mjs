// Peer for bench/churn.sh: many tenants in one node process, each tenant's script in a fresh
// V8 context. Binds 127.0.0.1 only.
//
//   node node_tenants.mjs PORT CONFIG.json vm|ivm
//
// CONFIG.json (written by churn.py config node): {"context": "shared"|"per_request",
//   "tenants": [{"name", "script", "routes": ["t2.example.com/*" | "*/t1/*"]}]}; script paths
//   are relative to the config file. Scripts are read at start-up and compiled on a tenant's
//   first request (the compiled script is kept).
//   vm:  node:vm; "per_request" = vm.createContext + run the tenant's script for every request;
//        "shared" = one context per tenant, made on its first request and kept.
//   ivm: isolated-vm (bench/.peers); one isolate per tenant, made on its first request;
//        "per_request" = isolate.createContextSync() + run the script for every request.
// The tenant's `export default { fetch }` is rewritten to an assignment (vm.Script has no
// module syntax without --experimental-vm-modules); the vm context gets the host's Response,
// the ivm context a minimal Response class (an isolate has no web APIs of its own).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";

const [port, configPath, engine = "vm"] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
const perRequest = config.context === "per_request";
const dir = path.dirname(path.resolve(configPath));

const hosts = new Map();
const paths = new Map();
for (const t of config.tenants) {
  t.source = fs.readFileSync(path.resolve(dir, t.script), "utf8")
    .replace(/^\s*export\s+default\s+/m, "globalThis.__default = ");
  for (const r of t.routes) {
    const slash = r.indexOf("/");
    const host = r.slice(0, slash);
    const prefix = r.slice(slash + 1).replace(/\*$/, "");
    if (host !== "*") hosts.set(host, t);
    else paths.set(prefix.replace(/\/$/, ""), t);
  }
}

function route(req) {
  const host = (req.headers.host || "").replace(/:\d+$/, "");
  const t = hosts.get(host);
  if (t) return t;
  const seg = req.url.split("/", 2)[1] ?? "";
  return paths.get(seg);
}

// --- engines: each returns handle(t, url, method) -> Promise<{status, body}> ----------------
function vmEngine() {
  const makeHandler = (t) => {
    t.compiled ??= new vm.Script(t.source, { filename: t.script });
    const ctx = vm.createContext({ Response, Request, Headers, URL, console });
    t.compiled.runInContext(ctx);
    return ctx.__default;
  };
  return async (t, url, method) => {
    const handler = perRequest ? makeHandler(t) : (t.handler ??= makeHandler(t));
    const resp = await handler.fetch(new Request(url, { method }), {}, {});
    return { status: resp.status, body: Buffer.from(await resp.arrayBuffer()) };
  };
}

function ivmEngine() {
  const require = createRequire(import.meta.url);
  const ivm = require(process.env.CHURN_IVM || "isolated-vm");
  // The Response shim goes into the same script as the tenant's code: run as a separate script
  // in every fresh context, a function it defines keeps those contexts alive (isolated-vm 5.0.4,
  // node 20: the heap grows until the memory limit kills the isolate).
  const prelude = "class Response { constructor(body, init) { this.body = String(body ?? \"\"); " +
    "this.status = init?.status ?? 200; } }\n";
  const call = `return Promise.resolve(globalThis.__default.fetch({ url: $0, method: $1 }, {}, {}))
    .then(r => JSON.stringify({ status: r.status, body: r.body }));`;
  // Sync calls where the result is not a promise: measured here, the async createContext() +
  // run() halve the per-request req/s (thread hand-offs on one core).
  const makeContext = (t) => {
    const context = t.isolate.createContextSync();
    t.compiled.runSync(context);
    return context;
  };
  return async (t, url, method) => {
    if (t.isolate?.isDisposed) t.isolate = t.context = undefined; // a limit killed it: start afresh
    if (!t.isolate) {
      t.isolate = new ivm.Isolate({ memoryLimit: 128 }); // MB, as atoll's default memory_mb
      t.compiled = t.isolate.compileScriptSync(prelude + t.source, { filename: t.script });
    }
    const context = perRequest ? makeContext(t) : (t.context ??= makeContext(t));
    try {
      const out = JSON.parse(await context.evalClosure(call, [url, method],
        { result: { promise: true, copy: true } }));
      return { status: out.status, body: Buffer.from(out.body) };
    } finally {
      if (perRequest) context.release();
    }
  };
}

const handle = engine === "ivm" ? ivmEngine() : vmEngine();

http
  .createServer(async (req, res) => {
    const t = route(req);
    let status = 404;
    let body = Buffer.from('{"error":"no_route"}');
    if (t) {
      try {
        ({ status, body } = await handle(t, `http://${req.headers.host || "localhost"}${req.url}`,
          req.method));
      } catch (e) {
        console.error(`${t.name}: ${e && e.stack || e}`);
        status = 500;
        body = Buffer.from('{"error":"script_error"}');
      }
    }
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": body.length });
    res.end(body);
  })
  .listen(Number(port), "127.0.0.1");
