// The tenant of tests/per_request_isolation_test.cc: a matrix of ways one request could leave state
// for the next in a reused per_request context. GET /w/CASE tries to leave something behind
// (answers what it saw, or that the write threw); GET /r/CASE answers what a request sees (after
// waiting 150 ms, so that a continuation of a previous request would have run by then). The test
// asserts /r/CASE answers the same before and after /w/CASE. GET /cases lists them: what leaks
// through a continuation first, what breaks every later request when it leaks (a patched
// Promise.prototype.then) last.
import { EventEmitter } from "node:events";
import * as util from "node:util";
import { Buffer } from "node:buffer";

let moduleCounter = 0;

const tryIt = (fn) => {
  try {
    return String(fn());
  } catch (e) {
    return `threw ${e && e.constructor && e.constructor.name}`;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const has = (obj, key) => tryIt(() => Object.prototype.hasOwnProperty.call(obj, key) || key in obj);

const cases = {
  timerAfterResponse: [() => { setTimeout(() => { globalThis.timerLeak = 1; }, 60); return "armed"; }, () => typeof globalThis.timerLeak],
  intervalAfterResponse: [() => { setInterval(() => { globalThis.intervalLeak = (globalThis.intervalLeak || 0) + 1; }, 20); return "armed"; }, () => typeof globalThis.intervalLeak],
  promiseAfterResponse: [() => { sleep(40).then(() => sleep(20)).then(() => { globalThis.promiseLeak = 1; }); return "pending"; }, () => typeof globalThis.promiseLeak],
  fetchInFlight: [(env) => { fetch(`http://127.0.0.1:${env.SLOW_PORT}/`).then((r) => r.text()).then(() => { globalThis.fetchLeak = 1; }); return "started"; }, () => typeof globalThis.fetchLeak],
  moduleVariable: [() => ++moduleCounter, () => moduleCounter],
  newGlobal: [() => { globalThis.leakedGlobal = 1; return typeof leakedGlobal; }, () => typeof globalThis.leakedGlobal],
  newGlobalSymbol: [() => { globalThis[Symbol.for("leak")] = 1; return "set"; }, () => typeof globalThis[Symbol.for("leak")]],
  performanceMarks: [() => { performance.mark("leak"); return performance.getEntriesByName("leak").length; }, () => performance.getEntriesByName("leak").length],
  consoleCount: [() => { console.count("c"); console.count("c"); return "counted"; }, () => { console.count("c"); return "counted (the test reads the log)"; }],
  regexpLegacyStatics: [() => /(sec)ret/.exec("a secret")[1], () => `${RegExp.$1}|${RegExp.lastMatch}|${RegExp.input}`],
  finalizationRegistry: [() => typeof FinalizationRegistry, () => typeof FinalizationRegistry],
  eventEmitterMaxListeners: [() => { EventEmitter.defaultMaxListeners = 99; return "set"; }, () => EventEmitter.defaultMaxListeners],
  processEnv: [() => { process.env.LEAK = "1"; return "set"; }, () => typeof process.env.LEAK],
  envObject: [(env) => { env.leak = 1; return "set"; }, (env) => typeof env.leak],
  errorCaptureStackTrace: [() => { Error.captureStackTrace = () => {}; return "set"; }, () => String(Error.captureStackTrace).slice(0, 40)],
  mathRandom: [() => { Math.random = () => 4; return "set"; }, () => Math.random() < 1],
  ownToStringStillWorks: [() => { const o = {}; o.toString = () => "mine"; return String(o); }, () => String({})],
  errorNameOnInstance: [() => { const e = new Error("x"); e.name = "Mine"; return e.name; }, () => new Error("x").name],
  symbolFor: [() => { Symbol.for("shared").description; Symbol.leak = 1; return "set"; }, () => typeof Symbol.leak],
  weakMapOnShared: [() => { const wm = new WeakMap([[Array, 1]]); Array.wm = wm; return "set"; }, () => typeof Array.wm],
  dateNow: [() => { Date.now = () => 0; return "set"; }, () => Date.now() > 0],
  typedArray: [() => { Object.getPrototypeOf(Uint8Array).prototype.leak = 1; return "set"; }, () => typeof new Uint8Array(1).leak],
  functionPrototype: [() => { Function.prototype.leak = 1; return "set"; }, () => typeof (() => 0).leak],
  asyncFunctionPrototype: [() => { Object.getPrototypeOf(async () => {}).leak = 1; return "set"; }, () => typeof (async () => {}).leak],
  iteratorPrototype: [() => { Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).leak = 1; return "set"; }, () => typeof [][Symbol.iterator]().leak],
  requestPrototype: [() => { Request.prototype.leak = 1; return "set"; }, () => typeof Request.prototype.leak],
  responseStatic: [() => { Response.json = () => "leak"; return "set"; }, () => typeof Response.json({})],
  urlPrototype: [() => { URL.prototype.leak = 1; return "set"; }, () => typeof new URL("http://x/").leak],
  urlSearchParams: [() => { URLSearchParams.prototype.get = () => "leak"; return "set"; }, () => new URLSearchParams("a=1").get("a")],
  textEncoder: [() => { TextEncoder.prototype.encode = () => "leak"; return "set"; }, () => new TextEncoder().encode("a").length],
  cryptoRandom: [() => { crypto.getRandomValues = () => "leak"; return "set"; }, () => typeof crypto.getRandomValues(new Uint8Array(1))],
  cryptoSubtle: [() => { crypto.subtle.leak = 1; return "set"; }, () => typeof crypto.subtle.leak],
  consoleLog: [() => { console.log = () => {}; console.leak = 1; return "set"; }, () => `${typeof console.leak} ${console.log.name}`],
  caches: [() => { caches.leak = 1; return "set"; }, () => typeof caches.leak],
  navigator: [() => { navigator.leak = 1; Object.defineProperty(navigator, "userAgent", { value: "leak" }); return "set"; }, () => `${typeof navigator.leak} ${navigator.userAgent}`],
  scheduler: [() => { scheduler.leak = 1; return "set"; }, () => typeof scheduler.leak],
  abortSignal: [() => { AbortSignal.leak = 1; return "set"; }, () => typeof AbortSignal.leak],
  readableStream: [() => { ReadableStream.prototype.leak = 1; return "set"; }, () => typeof new ReadableStream().leak],
  eventTarget: [() => { EventTarget.prototype.leak = 1; return "set"; }, () => typeof new EventTarget().leak],
  eventEmitterPrototype: [() => { EventEmitter.prototype.leak = 1; return "set"; }, () => typeof new EventEmitter().leak],
  processStatic: [() => { process.leak = 1; return "set"; }, () => typeof process.leak],
  nodeUtil: [() => { util.inspect.defaultOptions.depth = 0; return "set"; }, () => util.inspect({ a: { b: { c: 1 } } })],
  bufferPoolSize: [() => { Buffer.poolSize = 1; Buffer.prototype.leak = 1; return "set"; }, () => `${Buffer.poolSize} ${typeof Buffer.from("a").leak}`],
  overwriteLazyURL: [() => { globalThis.URL = 1; return "set"; }, () => typeof URL],
  defineGlobal: [() => { Object.defineProperty(globalThis, "definedLeak", { value: 1 }); return "ok"; }, () => typeof globalThis.definedLeak],
  globalPrototype: [() => { Object.setPrototypeOf(globalThis, { leak: 1 }); return "ok"; }, () => typeof globalThis.leak],
  deleteGlobal: [() => delete globalThis.Headers, () => typeof Headers],
  errorPrepareStackTrace: [() => { Error.prepareStackTrace = () => "leak"; return "set"; }, () => typeof Error.prepareStackTrace],
  errorStackTraceLimit: [() => { Error.stackTraceLimit = 0; return "set"; }, () => Error.stackTraceLimit],
  overwriteFetch: [() => { globalThis.fetch = () => "mine"; return "set"; }, () => String(fetch).slice(0, 30)],
  overwriteResponse: [() => { globalThis.Response = class {}; return "set"; }, () => Response.name],
  headersPrototype: [() => { Headers.prototype.get = () => "leak"; return "set"; }, () => new Headers({ a: "1" }).get("a")],
  jsonStringify: [() => { JSON.stringify = () => "leak"; return "set"; }, () => JSON.stringify({ a: 1 })],
  reflectApply: [() => { Reflect.apply = () => "leak"; return "set"; }, () => typeof Reflect.apply(Math.max, null, [1, 2])],
  arrayPush: [() => { Array.prototype.push = function () { return "leak"; }; return "set"; }, () => [].push(1)],
  symbolIterator: [() => { Array.prototype[Symbol.iterator] = function* () { yield "leak"; }; return "set"; }, () => [...[1]].join()],
  objectToString: [() => { Object.prototype.toString = () => "leak"; return "set"; }, () => String({})],
  promiseThen: [() => { Promise.prototype.then = function () { return "leak"; }; return "set"; }, () => Promise.prototype.then.name],
};

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/cases") return new Response(Object.keys(cases).join("\n"));
    if (pathname === "/touch-all") {
      // Every global and every node: built-in, first used in a locked-down context: each loads.
      const failed = [];
      for (const name of Object.getOwnPropertyNames(globalThis)) {
        try {
          void globalThis[name];
        } catch (e) {
          failed.push(`${name}: ${e}`);
        }
      }
      for (const m of ["assert", "assert/strict", "async_hooks", "buffer", "crypto", "diagnostics_channel", "events",
                       "path", "path/posix", "process", "punycode", "querystring", "stream", "stream/promises",
                       "stream/web", "string_decoder", "timers", "timers/promises", "url", "util", "zlib"]) {
        try {
          if (process.getBuiltinModule(`node:${m}`) === undefined) failed.push(`${m}: undefined`);
        } catch (e) {
          failed.push(`${m}: ${e}`);
        }
      }
      return new Response(failed.join("\n") || "ok");
    }
    if (pathname === "/sloppy") {
      // Within one request a new global works as a global.
      globalThis.mine = 41;
      mine += 1;
      return new Response(`${mine} ${"mine" in globalThis} ${moduleCounter}`);
    }
    const [, verb, name] = pathname.split("/");
    const entry = cases[name];
    if (entry === undefined) return new Response("no such case", { status: 404 });
    if (verb === "w") return new Response(tryIt(() => entry[0](env)));
    await sleep(150);
    return new Response(tryIt(() => entry[1](env)));
  },
};
