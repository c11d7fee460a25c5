// R2 (env.R2, js/lazy/r2.js): the shapes R2 answers with and what a bucket refuses, each
// against R2's reference (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/).
// tests/js_api_test.cc binds R2 to bucket "js-test"; large bodies, paging past 1000 keys,
// multipart across requests, restarts and tenants are in tests/r2_test.cc.
import { test, assert, run } from "./testing/harness.js";

let R2;

// The harness's rejects/throws check the class; these check the message too.
async function rejects(promise, Class, part) {
  const e = await assert.rejects(promise, Class);
  assert.ok(String(e?.message).includes(part), `message ${JSON.stringify(e?.message)} lacks ${JSON.stringify(part)}`);
}
function throwsWith(fn, Class, part) {
  const e = assert.throws(fn, Class);
  assert.ok(String(e?.message).includes(part), `message ${JSON.stringify(e?.message)} lacks ${JSON.stringify(part)}`);
}

async function hex(algorithm, text) {
  const digest = await crypto.subtle.digest(algorithm, new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

test("put answers an R2Object; head and get the same object", async () => {
  const put = await R2.put("shape/a.txt", "hello", {
    httpMetadata: { contentType: "text/plain", cacheExpiry: new Date("2030-01-02T03:04:05Z") },
    customMetadata: { owner: "ann" },
  });
  assert.equal(put.key, "shape/a.txt");
  assert.equal(put.size, 5);
  assert.equal(put.etag, await hex("MD5", "hello"));
  assert.equal(put.httpEtag, `"${put.etag}"`);
  assert.ok(/^[0-9a-f]{32}$/.test(put.version), put.version);
  assert.ok(put.uploaded instanceof Date);
  assert.equal(put.storageClass, "Standard");
  assert.deepEqual(put.customMetadata, { owner: "ann" });
  assert.equal(put.httpMetadata.contentType, "text/plain");
  assert.equal(put.httpMetadata.cacheExpiry.toISOString(), "2030-01-02T03:04:05.000Z");
  assert.deepEqual(JSON.parse(JSON.stringify(put.checksums)), { md5: put.etag });
  assert.ok(put.checksums.md5 instanceof ArrayBuffer);
  assert.equal(put.range, undefined);
  const head = await R2.head("shape/a.txt");
  assert.equal(head.version, put.version);
  assert.equal(head.body, undefined);
  const got = await R2.get("shape/a.txt");
  assert.equal(got.bodyUsed, false);
  assert.equal(await got.text(), "hello");
  assert.equal(got.bodyUsed, true);
  await rejects(got.text(), TypeError, "Body has already been used");
  assert.deepEqual(got.range, { offset: 0, length: 5 });
  const headers = new Headers();
  got.writeHttpMetadata(headers);
  assert.equal(headers.get("content-type"), "text/plain");
  assert.equal(headers.get("expires"), "Wed, 02 Jan 2030 03:04:05 GMT");
  assert.equal(await R2.get("shape/missing"), null);
  assert.equal(await R2.head("shape/missing"), null);
});

test("values: strings, buffers, views, blobs, streams, null; bodies read every way", async () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]);
  await R2.put("v/view", bytes.subarray(2, 5));
  assert.deepEqual([...await (await R2.get("v/view")).bytes()], [2, 250, 251]);
  await R2.put("v/buffer", bytes.buffer);
  assert.equal((await (await R2.get("v/buffer")).arrayBuffer()).byteLength, 6);
  await R2.put("v/blob", new Blob(["b", "lob"]), { httpMetadata: { contentType: "text/x" } });
  const blob = await (await R2.get("v/blob")).blob();
  assert.equal(blob.type, "text/x");
  assert.equal(await blob.text(), "blob");
  await R2.put("v/json", JSON.stringify({ a: [1] }));
  assert.deepEqual(await (await R2.get("v/json")).json(), { a: [1] });
  await R2.put("v/stream", new Response("str" + "eam").body);
  assert.equal(await new Response((await R2.get("v/stream")).body).text(), "stream");
  assert.equal((await R2.put("v/null", null)).size, 0);
  assert.equal(await (await R2.get("v/null")).text(), "");
  // The bytes are read when put() is called: changing the buffer afterwards changes nothing.
  const changing = new Uint8Array([7, 7]);
  const pending = R2.put("v/copied", changing);
  changing[0] = 9;
  await pending;
  assert.deepEqual([...await (await R2.get("v/copied")).bytes()], [7, 7]);
});

test("ranges: offset/length, offset, suffix, a Range header; out of bounds", async () => {
  await R2.put("r/digits", "0123456789");
  const read = async (range) => {
    const o = await R2.get("r/digits", { range });
    return [await o.text(), o.range];
  };
  assert.deepEqual(await read({ offset: 2, length: 3 }), ["234", { offset: 2, length: 3 }]);
  assert.deepEqual(await read({ offset: 7 }), ["789", { offset: 7, length: 3 }]);
  assert.deepEqual(await read({ length: 2 }), ["01", { offset: 0, length: 2 }]);
  assert.deepEqual(await read({ suffix: 4 }), ["6789", { offset: 6, length: 4 }]);
  assert.deepEqual(await read({ offset: 8, length: 100 }), ["89", { offset: 8, length: 2 }]);
  assert.deepEqual(await read(new Headers({ range: "bytes=1-3" })), ["123", { offset: 1, length: 3 }]);
  assert.deepEqual(await read(new Headers({ range: "bytes=-2" })), ["89", { offset: 8, length: 2 }]);
  assert.deepEqual(await read(new Headers({ range: "bytes=5-" })), ["56789", { offset: 5, length: 5 }]);
  await rejects(R2.get("r/digits", { range: { offset: 11 } }), Error, "get: The requested range is not satisfiable. (10039)");
  await rejects(R2.get("r/digits", { range: { offset: -1 } }), RangeError, "Invalid range");
  await rejects(R2.get("r/digits", { range: { offset: 1.5 } }), RangeError, "must be an integer");
  await rejects(R2.get("r/digits", { range: { offset: 1, suffix: 2 } }), TypeError, "Suffix is incompatible with offset.");
});

test("onlyIf: etags and dates, as an R2Conditional or a Headers", async () => {
  const put = await R2.put("c/x", "x");
  const hasBody = async (onlyIf) => {
    const o = await R2.get("c/x", { onlyIf });
    assert.ok(o !== null && o.key === "c/x");
    return o.body !== undefined;
  };
  assert.equal(await hasBody({ etagMatches: put.etag }), true);
  assert.equal(await hasBody({ etagMatches: "nope" }), false);
  assert.equal(await hasBody({ etagDoesNotMatch: put.etag }), false);
  assert.equal(await hasBody({ etagDoesNotMatch: "nope" }), true);
  assert.equal(await hasBody({ uploadedBefore: new Date(put.uploaded.getTime() + 1000) }), true);
  assert.equal(await hasBody({ uploadedBefore: put.uploaded }), false);
  assert.equal(await hasBody({ uploadedAfter: new Date(put.uploaded.getTime() - 1000) }), true);
  assert.equal(await hasBody({ uploadedAfter: put.uploaded }), false);
  assert.equal(await hasBody(new Headers({ "if-none-match": put.httpEtag })), false);
  assert.equal(await hasBody(new Headers({ "if-none-match": `"other", ${put.httpEtag}` })), false);
  assert.equal(await hasBody(new Headers({ "if-none-match": "\"other\"" })), true);
  assert.equal(await hasBody(new Headers({ "if-match": "*" })), true);
  assert.equal(await hasBody(new Headers({ "if-modified-since": new Date(put.uploaded.getTime() + 2000).toUTCString() })), false);
  assert.equal(await hasBody(new Headers({ "if-unmodified-since": new Date(put.uploaded.getTime() + 2000).toUTCString() })), true);
  await rejects(R2.get("c/x", { onlyIf: { etagMatches: put.httpEtag } }), TypeError, "should not be wrapped in quotes");
  // A put whose condition fails answers null and changes nothing.
  assert.equal(await R2.put("c/x", "y", { onlyIf: { etagMatches: "nope" } }), null);
  assert.equal(await (await R2.get("c/x")).text(), "x");
  assert.equal(await R2.put("c/x", "y", { onlyIf: new Headers({ "if-none-match": "*" }) }), null);
  assert.equal(await R2.put("c/new", "n", { onlyIf: { etagMatches: put.etag } }), null);  // If-Match on nothing
  assert.equal((await R2.put("c/new", "n", { onlyIf: new Headers({ "if-none-match": "*" }) })).size, 1);
  assert.equal((await R2.put("c/x", "z", { onlyIf: { etagMatches: put.etag } })).size, 1);
  assert.equal(await (await R2.get("c/x")).text(), "z");
});

test("checksums: verified, kept, one at a time", async () => {
  const md5 = await hex("MD5", "sum");
  const sha256 = await hex("SHA-256", "sum");
  assert.equal((await R2.put("k/md5", "sum", { md5 })).etag, md5);
  const withSha = await R2.put("k/sha", "sum", { sha256 });
  assert.deepEqual(withSha.checksums.toJSON(), { md5, sha256 });
  assert.deepEqual((await R2.head("k/sha")).checksums.toJSON(), { md5, sha256 });
  const raw = new Uint8Array(md5.match(/../g).map((h) => parseInt(h, 16)));
  assert.equal((await R2.put("k/raw", "sum", { md5: raw.buffer })).etag, md5);
  await rejects(R2.put("k/bad", "sum", { md5: "0".repeat(32) }), Error, "put: The MD5 checksum you specified did not match what we received. (10037)");
  await rejects(R2.put("k/bad", "sum", { sha1: "0".repeat(40) }), Error, "(10037)");
  assert.equal(await R2.head("k/bad"), null);
  await rejects(R2.put("k/bad", "sum", { md5, sha256 }), TypeError, "You cannot specify multiple hashing algorithms.");
  await rejects(R2.put("k/bad", "sum", { md5: "abc" }), TypeError, "MD5 is 32 hex characters, not 3");
  await rejects(R2.put("k/bad", "sum", { sha256: "z".repeat(64) }), TypeError, "wasn't a valid hex string");
});

test("metadata from Headers; list include; writeHttpMetadata needs it", async () => {
  await R2.put("m/h", "h", {
    httpMetadata: new Headers({ "content-type": "image/png", "cache-control": "max-age=60", "content-language": "fr", "x-other": "no" }),
    storageClass: "InfrequentAccess",
  });
  const head = await R2.head("m/h");
  assert.deepEqual(head.httpMetadata, { contentType: "image/png", contentLanguage: "fr", cacheControl: "max-age=60" });
  assert.deepEqual(head.customMetadata, {});
  assert.equal(head.storageClass, "InfrequentAccess");
  const plain = await R2.list({ prefix: "m/" });
  assert.equal(plain.objects[0].httpMetadata, undefined);
  assert.equal(plain.objects[0].customMetadata, undefined);
  throwsWith(() => plain.objects[0].writeHttpMetadata(new Headers()), TypeError, "Did you forget to add 'httpMetadata'");
  const both = await R2.list({ prefix: "m/", include: ["httpMetadata", "customMetadata"] });
  assert.equal(both.objects[0].httpMetadata.contentType, "image/png");
  assert.deepEqual(both.objects[0].customMetadata, {});
  await rejects(R2.list({ include: ["sizes"] }), RangeError, "Unsupported include value sizes");
});

test("list: order, prefix, delimiter, startAfter, limit and cursor", async () => {
  for (const key of ["l/b", "l/a", "l/c/1", "l/c/2", "l/d/x/y", "l/é", "l/z"]) await R2.put(key, key);
  const keys = (page) => page.objects.map((o) => o.key);
  const all = await R2.list({ prefix: "l/" });
  assert.deepEqual(keys(all), ["l/a", "l/b", "l/c/1", "l/c/2", "l/d/x/y", "l/z", "l/é"]);  // UTF-8 order
  assert.equal(all.truncated, false);
  assert.equal(all.cursor, undefined);
  assert.deepEqual(all.delimitedPrefixes, []);
  const grouped = await R2.list({ prefix: "l/", delimiter: "/" });
  assert.deepEqual(keys(grouped), ["l/a", "l/b", "l/z", "l/é"]);
  assert.deepEqual(grouped.delimitedPrefixes, ["l/c/", "l/d/"]);
  assert.deepEqual(keys(await R2.list({ prefix: "l/", startAfter: "l/c/1" })), ["l/c/2", "l/d/x/y", "l/z", "l/é"]);
  // Pages of 2: objects and prefixes count alike; the cursor goes on past a prefix's keys.
  const seen = [];
  let page = { truncated: true, cursor: undefined };
  for (let i = 0; page.truncated; i++) {
    page = await R2.list({ prefix: "l/", delimiter: "/", limit: 2, cursor: page.cursor });
    seen.push([...keys(page), ...page.delimitedPrefixes]);
    assert.ok(i < 5);
  }
  assert.deepEqual(seen, [["l/a", "l/b"], ["l/c/", "l/d/"], ["l/z", "l/é"]]);
  await rejects(R2.list({ limit: 0 }), Error, "list: MaxKeys params must be positive integer <= 1000. (10022)");
  await rejects(R2.list({ limit: 1001 }), Error, "(10022)");
  await rejects(R2.list({ cursor: "not a cursor" }), Error, "The cursor is not valid");
});

test("delete: one key, many keys, missing keys", async () => {
  await R2.put("d/1", "1");
  await R2.put("d/2", "2");
  await R2.put("d/3", "3");
  await R2.delete("d/1");
  await R2.delete(["d/2", "d/3", "d/none"]);
  assert.deepEqual((await R2.list({ prefix: "d/" })).objects, []);
  await R2.delete([]);
  await rejects(R2.delete(Array.from({ length: 1001 }, (_, i) => `k${i}`)), Error, "(10022)");
});

test("multipart: parts in order, etag of their MD5s, abort, unknown uploads", async () => {
  const upload = await R2.createMultipartUpload("mp/file", { httpMetadata: { contentType: "text/csv" }, customMetadata: { a: "1" } });
  assert.equal(upload.key, "mp/file");
  assert.equal(typeof upload.uploadId, "string");
  const two = await upload.uploadPart(2, "world");
  const one = await upload.uploadPart(1, new TextEncoder().encode("hello "));
  assert.deepEqual(Object.keys(one), ["partNumber", "etag"]);
  assert.equal(one.partNumber, 1);
  const resumed = R2.resumeMultipartUpload("mp/file", upload.uploadId);
  const object = await resumed.complete([one, two]);
  const md5s = (await hex("MD5", "hello ")) + (await hex("MD5", "world"));
  const bytes = new Uint8Array(md5s.match(/../g).map((h) => parseInt(h, 16)));
  const expected = [...new Uint8Array(await crypto.subtle.digest("MD5", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(object.etag, `${expected}-2`);
  assert.equal(object.size, 11);
  const got = await R2.get("mp/file");
  assert.equal(await got.text(), "hello world");
  assert.equal(got.httpMetadata.contentType, "text/csv");
  assert.deepEqual(got.customMetadata, { a: "1" });
  await rejects(resumed.uploadPart(3, "x"), Error, "uploadPart: The specified multipart upload does not exist. (10024)");
  const aborted = await R2.createMultipartUpload("mp/gone");
  await aborted.uploadPart(1, "x");
  await aborted.abort();
  await rejects(aborted.complete([]), Error, "(10024)");
  await rejects(R2.resumeMultipartUpload("mp/file", "nope").complete([]), Error, "completeMultipartUpload: The specified multipart upload does not exist. (10024)");
  const other = await R2.createMultipartUpload("mp/parts");
  const p1 = await other.uploadPart(1, "a");
  await rejects(other.complete([{ partNumber: 1, etag: "wrong" }]), Error, "(10025)");
  await rejects(other.complete([p1, p1]), Error, "(10025)");
  await rejects(other.uploadPart(0, "x"), TypeError, "Part number must be between 1 and 10000");
  await other.abort();
});

test("keys and arguments R2 refuses", async () => {
  await rejects(R2.put(undefined, "x"), TypeError, "put: the key must be a string, not undefined");
  await rejects(R2.get({}), TypeError, "the key must be a string");
  assert.equal((await R2.put(12, "n")).key, "12");
  await rejects(R2.put("k".repeat(1025), "x"), Error, "put: The specified object name is not valid");
  assert.equal((await R2.put("é".repeat(512), "x")).size, 1);  // 1024 bytes of UTF-8
  await rejects(R2.put("é".repeat(513), "x"), Error, "(10020)");
  await rejects(R2.put("big-meta", "x", { customMetadata: { k: "v".repeat(2048) } }), Error,
                       "put: Your metadata headers exceed the maximum allowed metadata size. (10012)");
  await rejects(R2.put("k", 42), TypeError, "the value must be a ReadableStream");
  await rejects(R2.put("k", "x", { storageClass: "Glacier" }), Error, "(10040)");
  await rejects(R2.put("k", "x", { ssecKey: "00" }), Error, "not supported");
  const stream = new ReadableStream({ start(c) { c.enqueue("text"); c.close(); } });
  await rejects(R2.put("k", stream), TypeError, "chunks must be ArrayBuffers");
  assert.equal(await R2.head("k"), null);
  throwsWith(() => new R2.constructor(), TypeError, "Illegal constructor");
});

test("a body above 100 MiB is refused as it streams in, and leaves nothing", async () => {
  const piece = new Uint8Array(1024 * 1024);
  let pulls = 0;
  const stream = new ReadableStream({ pull(c) { if (pulls++ < 101) c.enqueue(piece); else c.close(); } });
  await rejects(R2.put("too-big", stream), Error, "put: Your proposed upload exceeds the maximum allowed object size (104857600 bytes in atoll). (100100)");
  assert.equal(await R2.head("too-big"), null);
  assert.ok(pulls <= 102, pulls);
});

export default {
  async fetch(request, env) {
    R2 = env.R2;
    return Response.json(await run());
  },
};
