// FormData (https://xhr.spec.whatwg.org/#interface-formdata) and multipart/form-data and
// urlencoded bodies (https://fetch.spec.whatwg.org/#dom-body-formdata).
import { test, assert, run } from "./testing/harness.js";

test("entries", () => {
  const form = new FormData();
  form.append("a", "1");
  form.append("a", 2);
  form.append("b", "x");
  assert.equal(form.get("a"), "1");
  assert.deepEqual(form.getAll("a"), ["1", "2"]);
  assert.equal(form.has("b"), true);
  assert.equal(form.get("missing"), null);
  form.set("a", "only");
  assert.deepEqual([...form], [["a", "only"], ["b", "x"]], "set replaces the first and drops the rest");
  form.delete("b");
  assert.deepEqual([...form.keys()], ["a"]);
  assert.deepEqual([...form.values()], ["only"]);
  const seen = [];
  form.forEach((value, name, self) => seen.push([name, value, self === form]));
  assert.deepEqual(seen, [["a", "only", true]]);
  assert.throws(() => new FormData({}), TypeError, "no form elements");
  assert.throws(() => form.append("x"), TypeError);
  assert.throws(() => form.append("x", "y", "name.txt"), TypeError, "a filename needs a Blob");
});

test("Blob values become Files", () => {
  const form = new FormData();
  form.append("plain", new Blob(["b"], { type: "text/plain" }));
  form.append("named", new Blob(["b"]), "given.txt");
  form.append("file", new File(["f"], "own.txt"));
  assert.ok(form.get("plain") instanceof File);
  assert.equal(form.get("plain").name, "blob");
  assert.equal(form.get("plain").type, "text/plain");
  assert.equal(form.get("named").name, "given.txt");
  assert.equal(form.get("file").name, "own.txt");
});

test("multipart round trip through a body", async () => {
  const form = new FormData();
  form.append("text", "line1\nline2");
  form.append("quote\"name", "v");
  form.append("upload", new File([new Uint8Array([0, 1, 255])], "bin.dat", { type: "application/x-test" }));
  const response = new Response(form);
  const type = response.headers.get("content-type");
  assert.ok(/^multipart\/form-data; boundary=[-\w]+$/.test(type), type);
  const parsed = await response.formData();
  assert.equal(parsed.get("text"), "line1\r\nline2", "newlines normalized to CRLF");
  assert.ok(parsed.has("quote%22name"), "quotes in names are escaped");
  const upload = parsed.get("upload");
  assert.equal(upload.name, "bin.dat");
  assert.equal(upload.type, "application/x-test");
  assert.deepEqual(await upload.bytes(), new Uint8Array([0, 1, 255]));
});

test("parsing what a browser sends", async () => {
  const body = [
    "--XyZ", 'Content-Disposition: form-data; name="field"', "", "value",
    "--XyZ", 'Content-Disposition: form-data; name="file"; filename="a.txt"', "Content-Type: text/plain", "", "file body",
    "--XyZ--", "",
  ].join("\r\n");
  const request = new Request("http://a/", { method: "POST", body, headers: { "content-type": 'multipart/form-data; boundary="XyZ"' } });
  const form = await request.formData();
  assert.equal(form.get("field"), "value");
  assert.equal(await form.get("file").text(), "file body");
  assert.equal(request.bodyUsed, true);
  const bad = new Response("--XyZ\r\nno end", { headers: { "content-type": "multipart/form-data; boundary=XyZ" } });
  await assert.rejects(bad.formData(), TypeError);
  await assert.rejects(new Response("x", { headers: { "content-type": "multipart/form-data" } }).formData(), TypeError, "no boundary");
});

test("multipart bodies with LF-only line breaks", async () => {
  const body = [
    "--XyZ", 'Content-Disposition: form-data; name="field"', "", "line one\r\nline two",
    "--XyZ", 'Content-Disposition: form-data; name="file"; filename="a.txt"', "Content-Type: text/plain", "", "file body",
    "--XyZ", 'Content-Disposition: form-data; name="empty"', "", "",
    "--XyZ--", "",
  ].join("\n");
  const form = await new Response(body, { headers: { "content-type": "multipart/form-data; boundary=XyZ" } }).formData();
  assert.equal(form.get("field"), "line one\r\nline two", "a CRLF inside a value is the value's");
  assert.equal(await form.get("file").text(), "file body");
  assert.equal(form.get("file").type, "text/plain");
  assert.equal(form.get("empty"), "");
  const mixed = "--b\r\nContent-Disposition: form-data; name=\"a\"\n\r\nx\n--b--";
  assert.equal((await new Response(mixed, { headers: { "content-type": "multipart/form-data; boundary=b" } }).formData()).get("a"), "x");
});

test("urlencoded and other types", async () => {
  const form = await new Response("a=1&b=%20x+y&a=2", {
    headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
  }).formData();
  assert.deepEqual(form.getAll("a"), ["1", "2"]);
  assert.equal(form.get("b"), " x y");
  await assert.rejects(new Response("{}", { headers: { "content-type": "application/json" } }).formData(), TypeError);
  await assert.rejects(new Response("x").formData(), TypeError, "text/plain is not a form");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
