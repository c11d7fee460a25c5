// A Workers project as wrangler bundles it under nodejs_compat (tests/hono/build.mjs with
// --compatibility-date: wrangler's own unenv preset): npm follow-redirects 1.16.3 (axios's Node
// transport: CommonJS over node:http, node:https, node:url, node:stream, node:assert), npm
// node-fetch 2.7.0 (whose "browser" build, which wrangler picks, is the global fetch), node:http
// used directly, and Node modules that were polyfilled into bundles before workerd implemented
// them (os, perf_hooks, module). Each
// path runs one scenario against the origin (env.ORIGIN: "http://127.0.0.1:PORT") and answers
// with what the code saw, as JSON.
import fetchNode from "node-fetch";
import followRedirects from "follow-redirects";
import http from "node:http";
import https from "https";
import os from "os";
import { performance } from "perf_hooks";
import { createRequire } from "module";
import { text } from "stream/consumers";

function collect(res) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    res.on("data", (chunk) => chunks.push(chunk));
    res.on("end", () => resolve({ chunks: chunks.length, body: Buffer.concat(chunks).toString() }));
    res.on("error", reject);
  });
}

function call(url, options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, async (res) => {
      try {
        const { chunks, body: text } = await collect(res);
        resolve({ status: res.statusCode, message: res.statusMessage, headers: res.headers, raw: res.rawHeaders.length, chunks, body: text });
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
    if (body !== undefined) for (const part of body) req.write(part);
    req.end();
  });
}

const scenarios = {
  async get(origin) {
    const seen = await call(`${origin}/echo?x=1`, { headers: { "X-Trace": "t1" } });
    return { status: seen.status, message: seen.message, echo: JSON.parse(seen.body) };
  },
  async post(origin) {
    const seen = await call(`${origin}/echo`, { method: "POST", headers: { "content-type": "text/plain", "x-many": ["a", "b"] } }, ["hello ", Buffer.from("world")]);
    return JSON.parse(seen.body);
  },
  async redirect(origin) {
    const seen = await call(`${origin}/redirect`, {});
    return { status: seen.status, location: seen.headers.location };
  },
  async cookies(origin) {
    const seen = await call(`${origin}/cookies`, {});
    return { status: seen.status, message: seen.message, cookies: seen.headers["set-cookie"], raw: seen.raw, body: seen.body };
  },
  async stream(origin) {
    const seen = await call(`${origin}/stream?chunks=5`, {});
    return { chunks: seen.chunks, body: seen.body };
  },
  async timeout(origin) {
    return new Promise((resolve) => {
      const events = [];
      const req = http.get(`${origin}/slow`, () => events.push("response"));
      req.setTimeout(200, () => {
        events.push("timeout");
        req.destroy(Object.assign(new Error("gave up"), { code: "ETIMEDOUT" }));
      });
      req.on("error", (error) => events.push(`error ${error.code}`));
      req.on("close", () => resolve({ events }));
    });
  },
  async abort(origin) {
    const controller = new AbortController();
    const done = new Promise((resolve) => {
      const req = http.get(`${origin}/slow`, { signal: controller.signal });
      req.on("error", (error) => resolve({ name: error.name, code: error.code }));
    });
    setTimeout(() => controller.abort(), 50);
    return done;
  },
  async refused() {
    return new Promise((resolve) => {
      https.get("https://10.1.2.3/", () => resolve({ response: true })).on("error", (error) => resolve({ code: error.code }));
    });
  },
  async nodeFetch(origin) {
    const res = await fetchNode(`${origin}/echo?via=node-fetch`, { method: "POST", body: "payload", headers: { "X-Lib": "node-fetch" } });
    const echo = await res.json();
    const gzip = await fetchNode(`${origin}/gzip`);
    const cookies = await fetchNode(`${origin}/cookies`);
    const redirected = await fetchNode(`${origin}/redirect`);
    const streamed = await text((await fetchNode(`${origin}/stream?chunks=3`)).body);
    return {
      status: res.status, echo, gzip: (await gzip.text()).length, cookies: cookies.headers.getSetCookie(),
      redirected: { status: redirected.status, url: new URL(redirected.url).pathname, method: (await redirected.json()).method },
      streamed,
    };
  },
  async followRedirects(origin) {
    return new Promise((resolve, reject) => {
      const req = followRedirects.http.request(`${origin}/redirect`, { method: "GET", headers: { "x-lib": "follow-redirects" }, trackRedirects: true }, async (res) => {
        const { body } = await collect(res);
        resolve({ status: res.statusCode, url: new URL(res.responseUrl).pathname, redirects: res.redirects.length, echo: JSON.parse(body) });
      });
      req.on("error", reject);
      req.end();
    });
  },
  async modules() {
    const require = createRequire(import.meta.url);
    return {
      platform: os.platform(), eol: os.EOL, now: typeof performance.now(), join: require("node:path").join("a", "b"),
      builtin: require("module").isBuiltin("node:http"),
    };
  },
};

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1);
    const scenario = scenarios[name];
    if (scenario === undefined) return new Response(`no scenario ${name}`, { status: 404 });
    try {
      return Response.json(await scenario(env.ORIGIN));
    } catch (error) {
      return Response.json({ error: `${error.name}: ${error.message}`, code: error.code, stack: error.stack }, { status: 500 });
    }
  },
};
