// URLPattern (https://urlpattern.spec.whatwg.org/).
import { test, assert, run } from "./testing/harness.js";

test("shape", () => {
  assert.equal(typeof URLPattern, "function");
  assert.equal(Object.getOwnPropertyDescriptor(globalThis, "URLPattern").enumerable, false);
  assert.equal(Object.prototype.toString.call(new URLPattern({})), "[object URLPattern]");
  assert.throws(() => URLPattern({}), TypeError);
});

test("pathname groups", () => {
  const pattern = new URLPattern({ pathname: "/books/:id(\\d+)" });
  assert.equal(pattern.pathname, "/books/:id(\\d+)");
  assert.equal(pattern.protocol, "*", "unspecified components match anything");
  assert.equal(pattern.test("https://shop.test/books/42"), true);
  assert.equal(pattern.test("https://shop.test/books/abc"), false, "regexp constraint");
  assert.equal(pattern.exec("https://shop.test/books/42").pathname.groups.id, "42");
  assert.equal(pattern.exec("https://shop.test/other"), null);
  const optional = new URLPattern({ pathname: "/a/:b?" });
  assert.equal(optional.test("http://h/a"), true);
  assert.equal(optional.test("http://h/a/x"), true);
  const wildcard = new URLPattern({ pathname: "/static/*" });
  assert.equal(wildcard.exec("http://h/static/css/site.css").pathname.groups[0], "css/site.css");
  const repeated = new URLPattern({ pathname: "/files/:path+" });
  assert.equal(repeated.exec("http://h/files/a/b/c").pathname.groups.path, "a/b/c");
});

test("constructor string, base URL and components", () => {
  const pattern = new URLPattern("https://:sub.example.com/api/:version/*");
  const match = pattern.exec("https://eu.example.com/api/v2/users/7");
  assert.equal(match.hostname.groups.sub, "eu");
  assert.equal(match.pathname.groups.version, "v2");
  assert.equal(match.pathname.groups[0], "users/7");
  assert.equal(pattern.test("http://eu.example.com/api/v2/x"), false, "protocol is part of the pattern");
  const relative = new URLPattern("/items/:id", "https://base.test");
  assert.equal(relative.hostname, "base.test");
  assert.equal(relative.test("https://base.test/items/3"), true);
  assert.equal(relative.test({ pathname: "/items/3" }), false, "hostname from the base must match");
  const search = new URLPattern({ search: "q=:term" });
  assert.equal(search.exec("http://h/?q=atoll").search.groups.term, "atoll");
  assert.equal(new URLPattern({ hostname: "{*.}?example.com" }).test("http://example.com"), true);
});

test("errors and case", () => {
  assert.throws(() => new URLPattern({ pathname: "/:id(" }), TypeError, "unbalanced group");
  assert.throws(() => new URLPattern("/relative-without-base"), TypeError);
  const ignoreCase = new URLPattern({ pathname: "/ABC" }, { ignoreCase: true });
  assert.equal(ignoreCase.test("http://h/abc"), true);
  assert.equal(new URLPattern({ pathname: "/ABC" }).test("http://h/abc"), false);
  assert.equal(new URLPattern({ pathname: "/caf\u00e9" }).test("http://h/caf%C3%A9"), true, "pattern is encoded like the URL");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
