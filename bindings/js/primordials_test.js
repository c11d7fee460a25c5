// Issue 12 item 10: a tenant that patches the built-in prototypes (and statics) to throw cannot
// break the Web APIs: their glue and lazy modules (npm code included) reach built-ins through the
// intrinsics captured before any tenant code ran (bindings/README.md, "patched prototypes").
// Each test patches a broad list, uses the APIs (most load their lazy module for the first time
// while patched), restores, then checks what it got. The code that runs while patched uses only
// syntax: no method of a built-in, no for...of, no spread.
import { test, assert, run } from "./testing/harness.js";

const ArrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]());
const MapIteratorPrototype = Object.getPrototypeOf(new Map().entries());
const SetIteratorPrototype = Object.getPrototypeOf(new Set().values());
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const PATCHES = [
  [Array.prototype, ["push", "pop", "shift", "unshift", "slice", "splice", "concat", "join", "indexOf", "lastIndexOf",
    "includes", "map", "filter", "forEach", "some", "every", "reduce", "find", "findIndex", "sort", "reverse", "fill",
    "keys", "values", "entries", "flat", "flatMap", "at", Symbol.iterator]],
  [ArrayIteratorPrototype, ["next"]],
  [String.prototype, ["charAt", "charCodeAt", "codePointAt", "slice", "substring", "substr", "indexOf", "lastIndexOf",
    "includes", "startsWith", "endsWith", "toLowerCase", "toUpperCase", "trim", "trimStart", "trimEnd", "padStart",
    "padEnd", "repeat", "split", "replace", "replaceAll", "match", "matchAll", "search", "normalize", "concat", "at",
    Symbol.iterator]],
  [RegExp.prototype, ["exec", "test", Symbol.replace, Symbol.split, Symbol.match]],
  // Promise.prototype.then is wrapped, not made to throw (below): V8 itself calls it when a promise
  // is resolved with another one (an async function returning a promise), as every engine does.
  [Promise.prototype, ["catch", "finally"]],
  [Promise, ["resolve", "reject", "all", "race"]],
  [Function.prototype, ["call", "apply", "bind"]],
  [Object, ["defineProperty", "defineProperties", "keys", "values", "entries", "assign", "create", "getPrototypeOf",
    "setPrototypeOf", "getOwnPropertyDescriptor", "getOwnPropertyNames", "freeze", "fromEntries"]],
  [Map.prototype, ["get", "set", "has", "delete", "forEach", "keys", "values", "entries", Symbol.iterator]],
  [Set.prototype, ["add", "has", "delete", "forEach", "values", "entries", Symbol.iterator]],
  [WeakMap.prototype, ["get", "set", "has", "delete"]],
  [MapIteratorPrototype, ["next"]],
  [SetIteratorPrototype, ["next"]],
  [ArrayBuffer.prototype, ["slice"]],
  [TypedArrayPrototype, ["set", "subarray", "slice", "fill", "indexOf", "join"]],
  [JSON, ["parse", "stringify"]],
  [Array, ["from", "isArray", "of"]],
  [Number.prototype, ["toString", "toFixed"]],
  [Math, ["min", "max", "floor"]],
  [Reflect, ["apply", "ownKeys", "construct"]],
  [Symbol, ["for"]],
];

const ObjectDefineProperty = Object.defineProperty;
const ReflectApply = Reflect.apply;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const saved = [];
// Indexed loops and no Array methods: the loop itself runs while the patches go in.
function patch() {
  for (let i = 0; i < PATCHES.length; i++) {
    const target = PATCHES[i][0];
    const keys = PATCHES[i][1];
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const name = String(key);
      saved[saved.length] = [target, key, ObjectGetOwnPropertyDescriptor(target, key)];
      ObjectDefineProperty(target, key, {
        value: function patched() { throw new Error(`patched ${name} called`); },
        writable: true, configurable: true, enumerable: false,
      });
    }
  }
}
// What instrumentation libraries do to then: wrap it, count, delegate.
const PromisePrototypeThen = Promise.prototype.then;
let thenCalls = 0;
function wrapThen() {
  saved[saved.length] = [Promise.prototype, "then", ObjectGetOwnPropertyDescriptor(Promise.prototype, "then")];
  ObjectDefineProperty(Promise.prototype, "then", {
    value: function then(onFulfilled, onRejected) {
      thenCalls++;
      return ReflectApply(PromisePrototypeThen, this, [onFulfilled, onRejected]);
    },
    writable: true, configurable: true, enumerable: false,
  });
}
function restore() {
  for (let i = saved.length - 1; i >= 0; i--) ObjectDefineProperty(saved[i][0], saved[i][1], saved[i][2]);
  saved.length = 0;
}
// Runs `fn` with every patch in place; returns what it returned, or "threw: ..." (the message).
async function patched(fn) {
  wrapThen();
  patch();
  let result;
  try {
    result = await fn();
  } catch (error) {
    result = "threw: " + (error && error.stack);
  } finally {
    restore();
  }
  return result;
}

test("URL, URLSearchParams, URLPattern", async () => {
  const r = await patched(() => {
    const url = new URL("https://User@EXAMPLE.com:8080/a/../b%41?x=1&y=2#frag");
    url.searchParams.append("z", "3 4");
    const params = new URLSearchParams("a=1&b=2&a=3");
    const all = params.getAll("a");
    params.sort();
    const pattern = new URLPattern({ pathname: "/books/:id(\\d+)" });
    const match = pattern.exec("https://example.com/books/42");
    return {
      href: url.href, host: url.host, params: params.toString(), first: all[0] + all[1],
      id: match.pathname.groups.id, test: pattern.test("https://example.com/books/x"),
      idn: new URL("http://Bücher.example/").hostname,
    };
  });
  assert.deepEqual(r, {
    href: "https://User@example.com:8080/b%41?x=1&y=2&z=3+4#frag", host: "example.com:8080",
    params: "a=1&a=3&b=2", first: "13", id: "42", test: false, idn: "xn--bcher-kva.example",
  });
});

test("URL setters, searchParams iteration and the form serializer (native URL, issue 18)", async () => {
  const savedEncode = globalThis.encodeURIComponent;
  const JSON_stringify = JSON.stringify;
  const r = await patched(() => {
    globalThis.encodeURIComponent = function patched() { throw new Error("patched encodeURIComponent called"); };
    try {
      const url = new URL("https://a.example/p?x=1&y=2");
      const seen = [];
      for (const pair of url.searchParams) seen[seen.length] = pair[0] + "=" + pair[1];
      url.searchParams.forEach((value, name) => { seen[seen.length] = name + ":" + value; });
      url.pathname = "/c d";
      url.hash = "h2";
      url.search = "?q=\uD800";
      const params = new URLSearchParams({ "k \u00e9": "v!'()~" });
      params.set("n", "1");
      params.delete("n");
      const parsed = URL.parse("/x", "https://b.example/");
      return {
        seen: seen[0] + "," + seen[1] + "," + seen[2] + "," + seen[3], href: url.href, q: url.searchParams.get("q"),
        form: params.toString(), has: params.has("n"), parsed: parsed.href, canParse: URL.canParse("x:"),
        blob: new URL("blob:https://c.example/uuid").origin, json: JSON_stringify(url),
      };
    } finally {
      globalThis.encodeURIComponent = savedEncode;
    }
  });
  assert.deepEqual(r, {
    seen: "x=1,y=2,x:1,y:2", href: "https://a.example/c%20d?q=%EF%BF%BD#h2", q: "\uFFFD",
    form: "k+%C3%A9=v%21%27%28%29%7E", has: false, parsed: "https://b.example/x", canParse: true,
    blob: "https://c.example", json: '"https://a.example/c%20d?q=%EF%BF%BD#h2"',
  });
});

test("Headers, Request, Response and their bodies", async () => {
  const r = await patched(async () => {
    const headers = new Headers({ "X-A": "1", "Content-Type": "text/plain" });
    headers.append("x-a", "2");
    const seen = [];
    headers.forEach((value, name) => { seen[seen.length] = name + "=" + value; });
    const request = new Request("https://example.com/p", { method: "POST", headers, body: "hello" });
    const clone = request.clone();
    const json = await Response.json({ a: [1, 2] }).json();
    const response = new Response("body text", { status: 201, headers: { "x-b": "3" } });
    const buffer = await new Response("abc").arrayBuffer();
    const fromStream = await new Response(new Response("streamed").body).text();
    return {
      get: headers.get("x-a"), seen: seen[0] + ";" + seen[1], method: request.method,
      text: await request.text(), cloneText: await clone.text(), json: json.a[1], status: response.status,
      responseText: await response.text(), bytes: buffer.byteLength, fromStream,
      redirect: Response.redirect("https://example.com/", 302).headers.get("location"),
    };
  });
  assert.deepEqual(r, {
    get: "1, 2", seen: "content-type=text/plain;x-a=1, 2", method: "POST", text: "hello", cloneText: "hello",
    json: 2, status: 201, responseText: "body text", bytes: 3, fromStream: "streamed",
    redirect: "https://example.com/",
  });
});

test("streams, encoding and compression", async () => {
  const r = await patched(async () => {
    const readable = new ReadableStream({
      start(controller) {
        controller.enqueue("a");
        controller.enqueue("b");
        controller.close();
      },
    });
    const upper = new TransformStream({ transform(chunk, controller) { controller.enqueue(chunk + "!"); } });
    const reader = readable.pipeThrough(upper).getReader();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const encoded = new TextEncoder().encode("héllo");
    const decoded = new TextDecoder().decode(encoded);
    const encoderStream = new TextEncoderStream();
    const writer = encoderStream.writable.getWriter();
    writer.write("xy");
    writer.close();
    const streamedBytes = (await new Response(encoderStream.readable).arrayBuffer()).byteLength;
    const gzip = new Response("compress me").body.pipeThrough(new CompressionStream("gzip"));
    const roundTrip = await new Response(gzip.pipeThrough(new DecompressionStream("gzip"))).text();
    return { text, length: encoded.length, decoded, streamedBytes, roundTrip, b64: btoa("hi!"), raw: atob("aGkh") };
  });
  assert.deepEqual(r, {
    text: "a!b!", length: 6, decoded: "héllo", streamedBytes: 2, roundTrip: "compress me", b64: "aGkh", raw: "hi!",
  });
});

test("crypto, structuredClone, Blob, FormData, events, timers, console", async () => {
  const r = await patched(async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc")));
    const random = crypto.getRandomValues(new Uint8Array(8));
    const clone = structuredClone({ a: [1, { b: 2 }], d: new Date(5) });
    const c = new Uint8Array(1);
    c[0] = 99;
    const blob = new Blob(["ab", c], { type: "Text/Plain" });
    const form = new FormData();
    form.append("k", "v");
    form.append("f", new Blob(["file"]), "f.txt");
    const target = new EventTarget();
    let fired = 0;
    target.addEventListener("ping", () => { fired++; });
    target.dispatchEvent(new Event("ping"));
    const controller = new AbortController();
    controller.signal.addEventListener("abort", () => { fired += 10; });
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 1));
    console.log("patched prototypes", { a: [1, 2] }, clone.d, blob);
    return {
      digest: digest[0] + "," + digest[31], randomLength: random.length, cloned: clone.a[1].b, date: clone.d.getTime(),
      blob: await blob.text(), type: blob.type, size: blob.size, form: form.get("k"), file: (await form.get("f").text()),
      fired, aborted: controller.signal.aborted, uuid: crypto.randomUUID().length,
    };
  });
  assert.deepEqual(r, {
    digest: "186,173", randomLength: 8, cloned: 2, date: 5, blob: "abc", type: "text/plain", size: 3, form: "v",
    file: "file", fired: 11, aborted: true, uuid: 36,
  });
});

test("fetch builds its request (a refused subrequest is a TypeError, not a patched call)", async () => {
  const r = await patched(async () => {
    try {
      await fetch("http://127.0.0.1:1/", { method: "POST", body: "x", headers: { "x-a": "1" } });
      return "answered";
    } catch (error) {
      return error instanceof TypeError ? "TypeError" : "other: " + error.message;
    }
  });
  assert.equal(r, "TypeError");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
