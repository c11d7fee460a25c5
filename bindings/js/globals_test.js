// Every global of the WinterTC Minimum Common Web Platform API
// (https://min-common-api.proposal.wintertc.org/) is present, of the right kind, and not
// enumerable (Web IDL), plus the globals SPEC §3 adds. Each API has its own *_test.js.
import { test, assert, run } from "./testing/harness.js";

const INTERFACES = [
  "AbortController", "AbortSignal", "Blob", "ByteLengthQueuingStrategy", "CompressionStream",
  "CountQueuingStrategy", "Crypto", "CryptoKey", "CustomEvent", "DecompressionStream", "DOMException",
  "ErrorEvent", "Event", "EventTarget", "File", "FormData", "Headers", "MessageChannel", "MessageEvent",
  "MessagePort", "Navigator", "Performance", "PerformanceEntry", "PerformanceMark", "PerformanceMeasure",
  "PromiseRejectionEvent", "ReadableByteStreamController", "ReadableStream", "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest", "ReadableStreamDefaultController", "ReadableStreamDefaultReader", "Request",
  "Response", "SubtleCrypto", "TextDecoder", "TextDecoderStream", "TextEncoder", "TextEncoderStream",
  "TransformStream", "TransformStreamDefaultController", "URL", "URLPattern", "URLSearchParams",
  "WritableStream", "WritableStreamDefaultController", "WritableStreamDefaultWriter",
];
const FUNCTIONS = [
  "atob", "btoa", "clearInterval", "clearTimeout", "queueMicrotask", "reportError", "setInterval",
  "setTimeout", "structuredClone", "addEventListener", "removeEventListener", "dispatchEvent", "fetch",
];
const OBJECTS = { console: "object", crypto: "Crypto", navigator: "Navigator", performance: "Performance" };

test("interfaces are constructors (or throw 'Illegal constructor')", () => {
  for (const name of INTERFACES) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    assert.ok(descriptor !== undefined, `${name} is missing`);
    assert.equal(typeof descriptor.value, "function", `${name} is a function`);
    assert.equal(descriptor.enumerable, false, `${name} is not enumerable`);
    assert.equal(descriptor.writable, true, `${name} is writable`);
    assert.equal(descriptor.value.name, name, `${name}.name`);
    assert.equal(typeof descriptor.value.prototype, "object", `${name}.prototype`);
  }
});

test("functions", () => {
  for (const name of FUNCTIONS) {
    assert.equal(typeof globalThis[name], "function", name);
    assert.equal(Object.getOwnPropertyDescriptor(globalThis, name).enumerable, false, `${name} is not enumerable`);
  }
});

test("singletons", () => {
  for (const [name, kind] of Object.entries(OBJECTS)) {
    const value = globalThis[name];
    assert.equal(typeof value, "object", name);
    if (kind !== "object") assert.ok(value instanceof globalThis[kind], `${name} is a ${kind}`);
  }
  assert.equal(self, globalThis);
  assert.equal(globalThis.globalThis, globalThis);
  assert.equal(typeof WebAssembly.Module, "function");
  assert.equal(typeof crypto.subtle, "object");
  assert.ok(crypto.subtle instanceof SubtleCrypto);
});

test("event handler attributes", () => {
  assert.equal(onerror, null);
  assert.equal(onunhandledrejection, null);
  let args;
  onerror = (...received) => {
    args = received;
    return true;
  };
  reportError(new RangeError("handled"));
  assert.equal(args[0], "handled");
  assert.ok(args[4] instanceof RangeError);
  onerror = null;
  assert.equal(onerror, null);
});

test("what a server runtime leaves out", () => {
  for (const name of ["SharedArrayBuffer", "process", "require", "Buffer", "window", "document"]) {
    assert.equal(typeof globalThis[name], "undefined", name);
  }
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
