// Blob and File (https://w3c.github.io/FileAPI/), and Blob bodies.
import { test, assert, run } from "./testing/harness.js";

test("Blob from parts", async () => {
  const blob = new Blob(["héllo ", new Uint8Array([0x77]), new Uint16Array([0x726f]).buffer, new Blob(["ld"])]);
  assert.equal(blob.size, 12);
  assert.equal(blob.type, "");
  assert.equal(await blob.text(), "héllo world");
  assert.deepEqual(await blob.bytes(), new TextEncoder().encode("héllo world"));
  assert.ok((await blob.arrayBuffer()) instanceof ArrayBuffer);
  assert.equal(new Blob().size, 0);
  assert.equal(new Blob([]).size, 0);
  assert.equal(await new Blob([1, null, { toString: () => "x" }]).text(), "1nullx", "other values become strings");
  assert.equal(await new Blob(["\uD800"]).text(), "\uFFFD", "USVString");
  assert.throws(() => new Blob("not a sequence"), TypeError);
  assert.throws(() => new Blob([], { endings: "bogus" }), TypeError);
  assert.equal(await new Blob(["a\r\nb\rc"], { endings: "native" }).text(), "a\nb\nc");
});

test("parts are copied", async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const blob = new Blob([bytes]);
  bytes[0] = 9;
  assert.deepEqual(await blob.bytes(), new Uint8Array([1, 2, 3]));
  const read = await blob.bytes();
  read[1] = 9;
  assert.deepEqual(await blob.bytes(), new Uint8Array([1, 2, 3]), "reads hand out copies");
});

test("type normalization", () => {
  assert.equal(new Blob([], { type: "Text/Plain;Charset=UTF-8" }).type, "text/plain;charset=utf-8");
  assert.equal(new Blob([], { type: "tëxt/plain" }).type, "", "non-ASCII type is dropped");
  assert.equal(new Blob([], { type: "a\u0001b" }).type, "", "control characters drop it");
});

test("slice", async () => {
  const blob = new Blob(["0123456789"], { type: "text/plain" });
  assert.equal(await blob.slice(2, 5).text(), "234");
  assert.equal(await blob.slice(-3).text(), "789");
  assert.equal(await blob.slice(-3, -1).text(), "78");
  assert.equal(await blob.slice(5, 2).text(), "", "end before start");
  assert.equal(await blob.slice(0, 100).text(), "0123456789");
  assert.equal(blob.slice(1, 2).type, "", "the slice's type is the argument");
  assert.equal(blob.slice(1, 2, "A/B").type, "a/b");
});

test("File", async () => {
  const file = new File(["data"], "notes.txt", { type: "text/plain", lastModified: 42 });
  assert.equal(file.name, "notes.txt");
  assert.equal(file.lastModified, 42);
  assert.equal(file.size, 4);
  assert.ok(file instanceof Blob);
  assert.equal(await file.text(), "data");
  assert.equal(Object.prototype.toString.call(file), "[object File]");
  assert.ok(Math.abs(new File([], "x").lastModified - Date.now()) < 1000, "defaults to now");
  assert.throws(() => new File(["x"]), TypeError, "a name is required");
});

test("Blob bodies", async () => {
  const response = new Response(new Blob(["<p>"], { type: "text/html" }));
  assert.equal(response.headers.get("content-type"), "text/html");
  assert.equal(await response.text(), "<p>");
  assert.equal(new Response(new Blob(["x"])).headers.get("content-type"), null, "no type, no header");
  const blob = await new Response("abc", { headers: { "content-type": "Text/Plain" } }).blob();
  assert.equal(blob.type, "text/plain");
  assert.equal(await blob.text(), "abc");
});

test("body.blob()'s type is the Content-Type's MIME type, serialized", async () => {
  const typeOf = async (contentType) => (await new Response("x", { headers: { "content-type": contentType } }).blob()).type;
  // Serialized, then lower-cased by the Blob constructor (https://w3c.github.io/FileAPI/#constructorBlob), as Deno does.
  assert.equal(await typeOf("Text/HTML; Charset=UTF-8"), "text/html;charset=utf-8", "no whitespace");
  assert.equal(await typeOf('text/plain; a="b c";b="d"'), 'text/plain;a="b c";b=d', "quoted only where needed");
  assert.equal(await typeOf("nonsense"), "", "a type that does not parse");
  assert.equal(await typeOf("text/plain, */*"), "text/plain", "*/* is skipped");
  assert.equal(await typeOf("text/html;charset=gbk, text/html"), "text/html;charset=gbk", "the charset carries over");
  assert.equal((await new Response("x").blob()).type, "text/plain;charset=utf-8");
  assert.equal((await new Response(new Uint8Array(1)).blob()).type, "", "no Content-Type");
  const request = new Request("http://a/", { method: "POST", body: "{}", headers: { "Content-Type": "Application/JSON" } });
  assert.equal((await request.blob()).type, "application/json");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
