// node:path, node:url, node:querystring, node:punycode, node:zlib, node:timers(/promises),
// node:diagnostics_channel and node:process under nodejs_compat.
import { test, assert, run } from "./testing/harness.js";
import path from "node:path";
import { basename } from "node:path/posix";
import url, { fileURLToPath, pathToFileURL } from "node:url";
import querystring from "node:querystring";
import punycode from "node:punycode";
import zlib from "node:zlib";
import { setImmediate } from "node:timers";
import { setTimeout as sleep, setInterval as every } from "node:timers/promises";
import diagnostics from "node:diagnostics_channel";
import nodeProcess, { nextTick } from "node:process";

test("path", () => {
  assert.equal(path.join("/srv", "app", "..", "lib", "x.js"), "/srv/lib/x.js");
  assert.equal(path.resolve("/a/b", "./c"), "/a/b/c");
  assert.equal(path.relative("/a/b/c", "/a/d"), "../../d");
  assert.deepEqual(path.parse("/home/u/file.txt"),
                   { root: "/", dir: "/home/u", base: "file.txt", ext: ".txt", name: "file" });
  assert.equal(path.extname("x.tar.gz"), ".gz");
  assert.equal(basename("/a/b.js", ".js"), "b");
  assert.equal(path.sep, "/");
});

test("url: legacy parse/format, file URLs, WHATWG classes", () => {
  const parsed = url.parse("https://user:pw@example.com:8080/p/a?x=1&y=2#h", true);
  assert.equal(parsed.hostname, "example.com");
  assert.equal(parsed.port, "8080");
  assert.deepEqual({ ...parsed.query }, { x: "1", y: "2" });
  assert.equal(url.format({ protocol: "http", host: "a.com", pathname: "/x" }), "http://a.com/x");
  assert.equal(url.resolve("http://a.com/b/c", "../d"), "http://a.com/d");
  assert.equal(fileURLToPath("file:///srv/my%20app/x.js"), "/srv/my app/x.js");
  assert.equal(pathToFileURL("/srv/a b#").href, "file:///srv/a%20b%23");
  assert.equal(new url.URL("/x", "http://h").href, "http://h/x");
  assert.equal(url.URL, globalThis.URL);
});

test("querystring and punycode", () => {
  assert.deepEqual({ ...querystring.parse("a=1&a=2&b=x%20y") }, { a: ["1", "2"], b: "x y" });
  assert.equal(querystring.stringify({ q: "a b", n: [1, 2] }), "q=a%20b&n=1&n=2");
  assert.equal(querystring.escape("a&b"), "a%26b");
  assert.equal(punycode.toASCII("mañana.com"), "xn--maana-pta.com");
  assert.equal(punycode.toUnicode("xn--maana-pta.com"), "mañana.com");
});

test("zlib: gzipSync/gunzipSync, deflate, callbacks and streams", async () => {
  const text = "hello zlib ".repeat(100);
  const gz = zlib.gzipSync(text);
  assert.equal(gz[0], 0x1f);
  assert.equal(gz[1], 0x8b);
  assert.ok(gz.length < text.length);
  assert.equal(zlib.gunzipSync(gz).toString(), text);
  assert.equal(zlib.inflateSync(zlib.deflateSync(Buffer.from(text))).toString(), text);
  assert.equal(zlib.inflateRawSync(zlib.deflateRawSync(text)).toString(), text);
  assert.equal(zlib.unzipSync(gz).toString(), text);
  const viaCallback = await new Promise((resolve, reject) =>
    zlib.gunzip(gz, (err, out) => (err ? reject(err) : resolve(out.toString()))));
  assert.equal(viaCallback, text);
  // What CompressionStream("gzip") makes, gunzip reads (and the other way round).
  const web = new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")));
  assert.equal(zlib.gunzipSync(Buffer.from(await web.arrayBuffer())).toString(), text);
  const chunks = [];
  await new Promise((resolve, reject) => {
    const gunzip = zlib.createGunzip();
    gunzip.on("data", (c) => chunks.push(c));
    gunzip.on("end", resolve);
    gunzip.on("error", reject);
    gunzip.write(gz.subarray(0, 10));
    gunzip.end(gz.subarray(10));
  });
  assert.equal(Buffer.concat(chunks).toString(), text);
  assert.throws(() => zlib.gunzipSync(Buffer.from("not gzip")), Error);
  assert.equal(zlib.constants.Z_BEST_COMPRESSION, 9);
});

test("timers and timers/promises", async () => {
  const order = [];
  await new Promise((resolve) => setImmediate(() => {
    order.push("immediate");
    resolve();
  }));
  assert.equal(await sleep(5, "value"), "value");
  const controller = new AbortController();
  const aborted = sleep(1000, null, { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, "AbortError");
  let ticks = 0;
  for await (const _ of every(1)) {
    if (++ticks === 3) break;
  }
  assert.equal(ticks, 3);
  assert.deepEqual(order, ["immediate"]);
});

test("diagnostics_channel: subscribe, publish, tracingChannel", () => {
  const got = [];
  const listener = (message, name) => got.push([name, message.n]);
  diagnostics.subscribe("app:query", listener);
  assert.ok(diagnostics.hasSubscribers("app:query"));
  diagnostics.channel("app:query").publish({ n: 1 });
  assert.ok(diagnostics.unsubscribe("app:query", listener));
  diagnostics.channel("app:query").publish({ n: 2 });
  assert.deepEqual(got, [["app:query", 1]]);
  const events = [];
  const tracing = diagnostics.tracingChannel("app:op");
  tracing.subscribe({ start: () => events.push("start"), end: () => events.push("end"), error: () => events.push("error") });
  assert.equal(tracing.traceSync(() => 7), 7);
  assert.throws(() => tracing.traceSync(() => { throw new Error("x"); }), /x/);
  assert.deepEqual(events, ["start", "end", "start", "error", "end"]);
});

test("process: the global, nextTick, env, version", async () => {
  assert.equal(nodeProcess, process);
  const order = [];
  await new Promise((resolve) => {
    nextTick(() => order.push("tick"));
    Promise.resolve().then(() => {
      order.push("then");
      setTimeout(resolve, 0);
    });
  });
  assert.deepEqual(order, ["tick", "then"]);
  assert.equal(typeof process.env, "object");
  assert.ok(process.version.startsWith("v"));
  assert.equal(process.platform, "linux");
  assert.equal(process.cwd(), "/");
  assert.equal(process.hrtime(process.hrtime())[0], 0);
  assert.equal(typeof process.hrtime.bigint(), "bigint");
  assert.equal(process.getBuiltinModule("node:path").join("a", "b"), "a/b");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
