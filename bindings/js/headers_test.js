// Headers (https://fetch.spec.whatwg.org/#headers-class).
import { test, assert, run } from "./testing/harness.js";

test("shape", () => {
  assert.equal(typeof Headers, "function");
  assert.equal(Object.prototype.toString.call(new Headers()), "[object Headers]");
  assert.equal(Headers.prototype[Symbol.toStringTag], "Headers");
  assert.equal(Headers.length, 0);
  assert.equal(Headers.prototype[Symbol.iterator], Headers.prototype.entries);
  assert.ok(Object.keys(Headers.prototype).includes("append"), "operations are enumerable");
  assert.ok(!Object.getOwnPropertyDescriptor(globalThis, "Headers").enumerable, "global is not enumerable");
  assert.throws(() => Headers(), TypeError, "calling without new");
  assert.deepEqual(Object.getOwnPropertyNames(new Headers()), [], "no visible own state");
  assert.deepEqual(Object.getOwnPropertySymbols(new Headers()), [], "no visible symbols");
});

test("constructor from record, pairs and Headers", () => {
  const fromRecord = new Headers({ "Content-Type": "text/html", "X-A": " 1 " });
  assert.equal(fromRecord.get("content-type"), "text/html");
  assert.equal(fromRecord.get("x-a"), "1", "values are trimmed");
  const fromPairs = new Headers([["a", "1"], ["A", "2"], ["b", "3"]]);
  assert.equal(fromPairs.get("a"), "1, 2");
  const copy = new Headers(fromPairs);
  assert.equal(copy.get("a"), "1, 2");
  copy.append("c", "4");
  assert.equal(fromPairs.has("c"), false, "copy is independent");
  const fromIterable = new Headers(new Map([["m", "v"]]));
  assert.equal(fromIterable.get("m"), "v");
  assert.equal(new Headers(undefined).has("a"), false);
  assert.throws(() => new Headers(null), TypeError);
  assert.throws(() => new Headers("a: b"), TypeError);
  assert.throws(() => new Headers(42), TypeError);
  assert.throws(() => new Headers([["a"]]), TypeError, "pair with one item");
  assert.throws(() => new Headers([["a", "b", "c"]]), TypeError, "pair with three items");
  assert.throws(() => new Headers(["ab"]), TypeError, "string is not a sequence");
  assert.throws(() => new Headers({ [Symbol("s")]: "x" }), TypeError, "symbol key");
  assert.throws(() => new Headers({ [Symbol.iterator]: 5 }), TypeError, "non-callable @@iterator");
  const hidden = Object.create({ inherited: "no" }, { own: { value: "yes", enumerable: true }, hidden: { value: "no", enumerable: false } });
  assert.deepEqual([...new Headers(hidden)], [["own", "yes"]], "only own enumerable properties");
});

test("append, get, has, delete, set", () => {
  const h = new Headers();
  h.append("Accept", "text/html");
  h.append("accept", "application/json");
  assert.equal(h.get("ACCEPT"), "text/html, application/json", "combined with comma-space");
  assert.equal(h.has("Accept"), true);
  assert.equal(h.get("missing"), null);
  h.set("accept", "*/*");
  assert.equal(h.get("accept"), "*/*", "set replaces every value");
  assert.deepEqual([...h], [["accept", "*/*"]]);
  h.append("x-empty", "");
  assert.equal(h.get("x-empty"), "", "empty value is kept");
  assert.equal(h.has("x-empty"), true);
  h.delete("ACCEPT");
  assert.equal(h.has("accept"), false);
  h.delete("not-there");
  assert.deepEqual([...h.keys()], ["x-empty"]);
  h.set("n", 123);
  assert.equal(h.get("n"), "123", "values are converted to strings");
  h.append("ws", "\t a  b \r\n");
  assert.equal(h.get("ws"), "a  b", "leading/trailing HTTP whitespace stripped, inner kept");
});

test("argument counts", () => {
  const h = new Headers();
  assert.throws(() => h.append("a"), TypeError);
  assert.throws(() => h.set("a"), TypeError);
  assert.throws(() => h.get(), TypeError);
  assert.throws(() => h.has(), TypeError);
  assert.throws(() => h.delete(), TypeError);
  assert.throws(() => h.forEach(), TypeError);
  assert.throws(() => h.forEach("not a function"), TypeError);
});

test("invalid names and values", () => {
  const h = new Headers();
  for (const name of ["", "a b", "a:b", "é", "a\n", "(x)", "a/b", "a\u0100", "[x]", "x@y"]) {
    assert.throws(() => h.append(name, "v"), TypeError, `name ${JSON.stringify(name)}`);
  }
  assert.throws(() => h.get("a b"), TypeError);
  assert.throws(() => h.has("a:b"), TypeError);
  assert.throws(() => h.delete(""), TypeError);
  assert.throws(() => h.set("a", "x\ny"), TypeError, "LF inside");
  assert.throws(() => h.set("a", "x\ry"), TypeError, "CR inside");
  assert.throws(() => h.set("a", "x\0y"), TypeError, "NUL");
  assert.throws(() => h.set("a", "\u0100"), TypeError, "not a ByteString");
  assert.throws(() => h.append("a", Symbol("s")), TypeError, "symbol value");
  assert.throws(() => new Headers({ "bad name": "v" }), TypeError);
  assert.throws(() => new Headers([["a", "b\nc"]]), TypeError);
  h.set("token-chars!#$%&'*+-.^_`|~09AZaz", "\u00ff obs-text \u0080");
  assert.equal(h.get("TOKEN-CHARS!#$%&'*+-.^_`|~09AZAZ"), "\u00ff obs-text \u0080", "every tchar and obs-text accepted");
  assert.deepEqual([...h], [["token-chars!#$%&'*+-.^_`|~09azaz", "\u00ff obs-text \u0080"]]);
});

test("iteration is sorted and combined, set-cookie kept apart", () => {
  const h = new Headers([
    ["Set-Cookie", "a=1"], ["b", "2"], ["A", "1"], ["set-cookie", "b=2"], ["b", "3"], ["C", "4"],
  ]);
  assert.deepEqual([...h], [["a", "1"], ["b", "2, 3"], ["c", "4"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
  assert.deepEqual([...h.keys()], ["a", "b", "c", "set-cookie", "set-cookie"]);
  assert.deepEqual([...h.values()], ["1", "2, 3", "4", "a=1", "b=2"]);
  assert.deepEqual([...h.entries()], [...h]);
  assert.equal(h.get("set-cookie"), "a=1, b=2", "get() still combines set-cookie");
  assert.deepEqual(h.getSetCookie(), ["a=1", "b=2"]);
  assert.deepEqual(new Headers().getSetCookie(), []);
  const seen = [];
  const self = {};
  h.forEach(function (value, name, object) {
    seen.push([name, value]);
    assert.equal(object, h);
    assert.equal(this, self);
  }, self);
  assert.deepEqual(seen, [...h]);
  const byName = new Headers([["z", "1"], ["y", "2"], ["x-b", "3"], ["x-a", "4"], ["x", "5"]]);
  assert.deepEqual([...byName.keys()], ["x", "x-a", "x-b", "y", "z"], "byte order");
});

test("set-cookie insertion order and set()", () => {
  const h = new Headers();
  h.append("Set-Cookie", "c=3");
  h.append("x", "1");
  h.append("set-cookie", "a=1");
  h.append("SET-COOKIE", "b=2");
  assert.deepEqual(h.getSetCookie(), ["c=3", "a=1", "b=2"], "insertion order, not sorted");
  h.set("set-cookie", "only=1");
  assert.deepEqual(h.getSetCookie(), ["only=1"]);
  h.delete("Set-Cookie");
  assert.deepEqual(h.getSetCookie(), []);
  const copied = new Headers(new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]));
  assert.deepEqual(copied.getSetCookie(), ["a=1", "b=2"], "copy keeps separate cookies");
  assert.deepEqual(new Headers({ "set-cookie": "x=1, y=2" }).getSetCookie(), ["x=1, y=2"], "no splitting");
});

test("iterators are live and well formed", () => {
  const h = new Headers([["b", "2"]]);
  const it = h.entries();
  assert.equal(Object.prototype.toString.call(it), "[object Headers Iterator]");
  assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(it)), Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  assert.equal(it[Symbol.iterator](), it, "iterators are iterable");
  h.append("a", "1");
  assert.deepEqual(it.next(), { value: ["a", "1"], done: false }, "sees the append before it started");
  h.append("c", "3");
  assert.deepEqual(it.next(), { value: ["b", "2"], done: false });
  assert.deepEqual(it.next(), { value: ["c", "3"], done: false });
  assert.deepEqual(it.next(), { value: undefined, done: true });
  assert.throws(() => it.next.call({}), TypeError, "next() brand check");
  const names = [];
  const live = new Headers([["a", "1"], ["b", "2"]]);
  live.forEach((value, name) => {
    names.push(name);
    if (name === "a") live.append("c", "3");
  });
  assert.deepEqual(names, ["a", "b", "c"], "forEach sees additions");
});

test("guards", () => {
  const requestHeaders = new Request("https://example.com/").headers;
  requestHeaders.set("host", "other.example");
  requestHeaders.set("cookie", "a=1");
  assert.equal(requestHeaders.get("host"), "other.example", "forbidden request headers allowed (Workers)");
  const responseHeaders = new Response("x").headers;
  responseHeaders.append("set-cookie", "a=1");
  assert.deepEqual(responseHeaders.getSetCookie(), ["a=1"], "set-cookie allowed on responses (Workers)");
  const immutable = Response.error().headers;
  assert.throws(() => immutable.append("a", "b"), TypeError);
  assert.throws(() => immutable.set("a", "b"), TypeError);
  assert.throws(() => immutable.delete("a"), TypeError, "delete throws even if absent");
  const redirect = Response.redirect("https://example.com/next", 301).headers;
  assert.equal(redirect.get("location"), "https://example.com/next");
  assert.throws(() => redirect.set("location", "https://evil.example/"), TypeError);
  assert.equal(immutable.get("a"), null, "reads still work");
  assert.throws(() => immutable.append("bad name", "v"), TypeError, "validation first");
});

test("brand checks and conversions", () => {
  const h = new Headers();
  assert.throws(() => Headers.prototype.get.call({}, "a"), TypeError);
  assert.throws(() => Headers.prototype.append.call(new Response(""), "a", "b"), TypeError);
  assert.throws(() => Headers.prototype.entries.call(null), TypeError);
  h.append({ toString: () => "x-obj" }, { toString: () => "v" });
  assert.equal(h.get("X-OBJ"), "v");
  h.append("n", null);
  assert.equal(h.get("n"), "null");
  assert.equal(h.get({ toString: () => "X-Obj" }), "v");
  assert.equal(String([...new Headers([["a", "1"]])]), "a,1");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
