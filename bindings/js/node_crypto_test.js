// node:crypto under nodejs_compat (js/lazy/node_crypto.js over the WebCrypto natives).
import { test, assert, run } from "./testing/harness.js";
import crypto, { createHash, createHmac, randomBytes, timingSafeEqual, webcrypto } from "node:crypto";

test("createHash: FIPS 180 vectors, chunked updates, encodings", () => {
  assert.equal(createHash("sha256").update("abc").digest("hex"),
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(createHash("sha1").update("a").update("bc").digest("hex"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(createHash("sha512").update("abc").digest("base64").slice(0, 12), "3a81oZNherrM");
  assert.ok(Buffer.isBuffer(createHash("sha384").update(Buffer.from("x")).digest()));
  assert.throws(() => createHash("md4"), /not supported/);
  const h = createHash("sha256").update("x");
  h.digest();
  assert.throws(() => h.digest(), /already/);
});

test("createHmac: RFC 4231 test case 2, and a key longer than a block", () => {
  assert.equal(createHmac("sha256", "Jefe").update("what do ya want for nothing?").digest("hex"),
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a 131-byte key, hashed first.
  assert.equal(createHmac("sha256", Buffer.alloc(131, 0xaa))
                   .update("Test Using Larger Than Block-Size Key - Hash Key First").digest("hex"),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
});

test("md5 (not WebCrypto, but Node's and Workers')", async () => {
  assert.equal(createHash("md5").update("abc").digest("hex"), "900150983cd24fb0d6963f7d28e17f72");
  // RFC 2202 test case 2.
  assert.equal(createHmac("md5", "Jefe").update("what do ya want for nothing?").digest("hex"),
               "750c783e6ab0b503eaa86e310a5db738");
  // Workers' WebCrypto digests MD5 too (and nothing else takes it as a hash).
  assert.equal(new Uint8Array(await webcrypto.subtle.digest("MD5", new Uint8Array(0)))[0], 0xd4);
});

test("pbkdf2 (RFC 6070 case 2) and hkdf (RFC 5869 case 1)", async () => {
  assert.equal(crypto.pbkdf2Sync("password", "salt", 2, 20, "sha1").toString("hex"),
               "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  const viaCallback = await new Promise((resolve, reject) =>
    crypto.pbkdf2("password", "salt", 2, 20, "sha1", (err, key) => (err ? reject(err) : resolve(key.toString("hex")))));
  assert.equal(viaCallback, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  assert.throws(() => crypto.pbkdf2Sync("p", "s", 1e6, 32, "sha256"), /100000/);
  const okm = crypto.hkdfSync("sha256", Buffer.alloc(22, 0x0b), Buffer.from("000102030405060708090a0b0c", "hex"),
                              Buffer.from("f0f1f2f3f4f5f6f7f8f9", "hex"), 42);
  assert.ok(okm instanceof ArrayBuffer);
  assert.equal(Buffer.from(okm).toString("hex"),
               "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
});

test("random bytes, UUIDs, integers", () => {
  const a = randomBytes(32);
  assert.equal(a.length, 32);
  assert.ok(!a.equals(randomBytes(32)));
  assert.equal(randomBytes(70000).length, 70000, "past getRandomValues' 65536-byte quota");
  assert.ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
  for (let i = 0; i < 50; i++) {
    const n = crypto.randomInt(5, 10);
    assert.ok(n >= 5 && n < 10 && Number.isInteger(n));
  }
});

test("timingSafeEqual and webcrypto", async () => {
  assert.ok(timingSafeEqual(Buffer.from("abc"), Buffer.from("abc")));
  assert.ok(!timingSafeEqual(Buffer.from("abc"), Buffer.from("abd")));
  assert.throws(() => timingSafeEqual(Buffer.from("a"), Buffer.from("ab")), RangeError);
  const digest = await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
  assert.equal(Buffer.from(digest).toString("hex"), createHash("sha256").update("abc").digest("hex"));
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
