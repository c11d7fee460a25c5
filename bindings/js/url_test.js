// URL and URLSearchParams (https://url.spec.whatwg.org/). The parser's conformance is measured
// on the web-platform-tests data by tests/wpt_test.cc; this file checks what atoll adds around
// it: the lazy global, IDNA on ICU, bodies, and the edge cases the standard calls out.
import { test, assert, run } from "./testing/harness.js";

test("globals are lazy data properties that load once", () => {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "URL");
  assert.equal(typeof descriptor.value, "function", "a data property, not an accessor");
  assert.equal(descriptor.enumerable, false);
  assert.equal(descriptor.writable, true);
  assert.equal(URL, globalThis.URL, "the same class on every read");
  assert.equal(new URLSearchParams("a=1").constructor, URLSearchParams);
  assert.equal(Object.prototype.toString.call(new URL("http://a/")), "[object URL]");
  assert.equal(Object.prototype.toString.call(new URLSearchParams()), "[object URLSearchParams]");
  assert.throws(() => URL("http://a/"), TypeError, "calling without new");
});

test("parse, base and failure", () => {
  const url = new URL("HTTPS://User:Pa%20ss@EXAMPLE.com:443/a/./b/../c?q=1#frag");
  assert.equal(url.href, "https://User:Pa%20ss@example.com/a/c?q=1#frag");
  assert.equal(url.protocol, "https:");
  assert.equal(url.username, "User");
  assert.equal(url.password, "Pa%20ss");
  assert.equal(url.port, "", "default port is dropped");
  assert.equal(url.origin, "https://example.com");
  assert.equal(new URL("../x?y", "http://h/a/b/c").href, "http://h/a/x?y");
  assert.equal(new URL("//other/p", "https://h/").href, "https://other/p");
  assert.throws(() => new URL("no scheme"), TypeError);
  assert.throws(() => new URL("http://[::1"), TypeError, "unclosed IPv6");
  assert.throws(() => new URL("/relative", "not a base"), TypeError);
  assert.equal(URL.canParse("http://a/"), true);
  assert.equal(URL.canParse("/x"), false);
  assert.equal(URL.canParse("/x", "http://a/"), true);
});

test("hosts: IPv4, IPv6, IDNA through ICU", () => {
  assert.equal(new URL("http://0x7f.1/").hostname, "127.0.0.1");
  assert.equal(new URL("http://[0:0::1]/").host, "[::1]");
  assert.equal(new URL("http://Bücher.example/").hostname, "xn--bcher-kva.example");
  assert.equal(new URL("http://faß.de/").hostname, "xn--fa-hia.de", "nontransitional: ß is kept");
  assert.equal(new URL("http://ＥＸＡＭＰＬＥ．com/").hostname, "example.com", "full-width mapped");
  assert.throws(() => new URL("http://a\u200Db/"), TypeError, "ZWJ outside a joining context");
  assert.throws(() => new URL("http://exa mple/"), TypeError, "forbidden host code point");
  assert.equal(new URL("http://%41.com/").hostname, "a.com", "percent-decoded before IDNA");
  assert.equal(new URL("non-special://EXAMPLE/").host, "EXAMPLE", "opaque hosts keep case");
});

test("setters", () => {
  const url = new URL("http://example.com/path?x#y");
  url.protocol = "https";
  url.host = "other.test:8080";
  url.pathname = "/a b";
  url.search = "?k=v w";
  url.hash = "h";
  assert.equal(url.href, "https://other.test:8080/a%20b?k=v%20w#h");
  url.port = "443";
  assert.equal(url.port, "", "default port for https");
  url.protocol = "mailto";
  assert.equal(url.protocol, "https:", "special to non-special is refused");
  url.search = "";
  assert.equal(url.href, "https://other.test/a%20b#h");
  url.href = "http://fresh/";
  assert.equal(url.host, "fresh");
  assert.throws(() => { url.href = "not a url"; }, TypeError);
  assert.equal(url.toJSON(), "http://fresh/");
  assert.equal(JSON.stringify({ url }), '{"url":"http://fresh/"}');
  assert.equal(String(url), "http://fresh/");
});

test("searchParams stays in sync with the URL", () => {
  const url = new URL("http://a/?b=1&c=2");
  assert.equal(url.searchParams.get("b"), "1");
  url.searchParams.append("d", "x y");
  assert.equal(url.search, "?b=1&c=2&d=x+y");
  url.search = "?z=9";
  assert.equal(url.searchParams.get("z"), "9");
  assert.equal(url.searchParams.has("b"), false);
  assert.equal(url.searchParams, url.searchParams, "same object");
});

test("URLSearchParams", () => {
  const params = new URLSearchParams("?a=1&b=2&a=3&c=%20&d=+");
  assert.deepEqual(params.getAll("a"), ["1", "3"]);
  assert.equal(params.get("c"), " ");
  assert.equal(params.get("d"), " ", "+ is a space");
  assert.equal(params.get("missing"), null);
  assert.equal(params.size, 5);
  params.delete("a", "3");
  assert.deepEqual(params.getAll("a"), ["1"], "delete with a value");
  params.set("b", "é&=");
  assert.equal(params.toString(), "a=1&b=%C3%A9%26%3D&c=+&d=+");
  params.sort();
  assert.deepEqual([...params.keys()], ["a", "b", "c", "d"]);
  assert.deepEqual([...new URLSearchParams({ x: "1", y: "2" })], [["x", "1"], ["y", "2"]]);
  assert.deepEqual([...new URLSearchParams([["k", "v"]])], [["k", "v"]]);
  assert.throws(() => new URLSearchParams([["only-one"]]), TypeError);
  assert.equal(new URLSearchParams("a=\uD800").get("a"), "\uFFFD", "lone surrogate in the input");
  assert.equal(new URLSearchParams("%zz=%4").toString(), "%25zz=%254");
});

test("native URL: statics, origins, the iterator and the query object (ada, issue 18)", () => {
  assert.equal(URL.parse("no scheme"), null);
  assert.equal(URL.parse("/p", "https://h/").href, "https://h/p");
  assert.throws(() => new URL(), TypeError, "one argument required");
  assert.equal(new URL("blob:https://a.example:8443/uuid").origin, "https://a.example:8443");
  assert.equal(new URL("blob:ftp://a.example/uuid").origin, "null");
  assert.equal(new URL("file:///etc/hosts").origin, "null");
  assert.equal(new URL("ws://h:80/").origin, "ws://h");
  assert.equal(new URL("web+demo:/.//not-a-host/").pathname, "//not-a-host/");
  assert.equal(new URL("web+demo:/.//not-a-host/").host, "");
  const descriptor = Object.getOwnPropertyDescriptor(URL.prototype, "href");
  assert.equal(descriptor.enumerable, true, "Web IDL attributes are enumerable");
  assert.equal(typeof descriptor.set, "function");
  const params = new URLSearchParams("a=1&b=2");
  const iterator = params.keys();
  assert.equal(Object.prototype.toString.call(iterator), "[object URLSearchParams Iterator]");
  assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(iterator)), Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  assert.equal(iterator.next().value, "a");
  params.append("c", "3");
  assert.equal(iterator.next().value, "b");
  assert.equal(iterator.next().value, "c", "the iterator sees the live list");
  assert.equal(iterator.next().done, true);
  assert.equal(URLSearchParams.prototype[Symbol.iterator], URLSearchParams.prototype.entries);
  const url = new URL("http://h/?x=1");
  const query = url.searchParams;
  url.href = "http://h/?y=2";
  assert.equal(query.get("y"), "2", "the href setter re-parses the query object");
  url.search = "";
  assert.equal(query.size, 0);
  query.append("z", "a b");
  assert.equal(url.href, "http://h/?z=a+b");
  query.delete("z");
  assert.equal(url.href, "http://h/", "an empty list removes the query");
  const opaque = new URL("sc:opaque  ?q");
  opaque.searchParams.delete("q");
  assert.equal(opaque.href, "sc:opaque", "trailing spaces of an opaque path go with the query");
  class Sub extends URL {}
  assert.equal(new Sub("http://s/").href, "http://s/");
  const hostDescriptor = Object.getOwnPropertyDescriptor(URL.prototype, "host");
  const searchDescriptor = Object.getOwnPropertyDescriptor(URL.prototype, "search");
  Object.defineProperty(URL.prototype, "host", { get() { return "evil.example"; }, configurable: true });
  Object.defineProperty(URL.prototype, "search", { get() { return "?evil=1"; }, configurable: true });
  try {
    const subverted = new URL("https://good.example/?a=1");
    assert.equal(subverted.origin, "https://good.example", "origin reads the internal state, not the accessor");
    assert.equal(subverted.searchParams.get("a"), "1");
    subverted.hash = "x";
    assert.equal(subverted.searchParams.get("evil"), null);
  } finally {
    Object.defineProperty(URL.prototype, "host", hostDescriptor);
    Object.defineProperty(URL.prototype, "search", searchDescriptor);
  }
});

test("a URLSearchParams body is form-urlencoded", async () => {
  const response = new Response(new URLSearchParams({ q: "a b", r: "ü" }));
  assert.equal(response.headers.get("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  assert.equal(await response.text(), "q=a+b&r=%C3%BC");
  const request = new Request("http://a/", { method: "POST", body: new URLSearchParams("x=1") });
  assert.equal(await request.text(), "x=1");
});

test("a replaced global does not break the built-ins", () => {
  const saved = globalThis.URL;
  globalThis.URL = function Fake() {};
  try {
    assert.equal(new Request("http://a/b?c").url, "http://a/b?c");
  } finally {
    globalThis.URL = saved;
  }
  assert.equal(typeof URL, "function");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
