// WebCrypto keys (https://w3c.github.io/webcrypto/#cryptokey-interface): import/export round
// trips in raw, jwk, spki and pkcs8, wrapping, RSA key generation and RSA-OAEP, X25519, and the
// errors the spec names (InvalidAccessError, SyntaxError, DataError, NotSupportedError, TypeError).
import { test, assert, run } from "./testing/harness.js";
import { ECDSA, ED25519, RSA, X25519 } from "./testing/crypto_vectors.js";
import { ascii, b64url, hex, unhex } from "./testing/bytes.js";

const subtle = crypto.subtle;
const P256 = ECDSA["P-256"];
const P384 = ECDSA["P-384"];

test("CryptoKey: attributes, cached objects, nothing of the key material is visible", async () => {
  const key = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["decrypt", "encrypt", "encrypt"]);
  assert.equal(key.type, "secret");
  assert.equal(key.extractable, false);
  assert.deepEqual(key.usages, ["encrypt", "decrypt"], "deduplicated, in KeyUsage order");
  assert.equal(key.algorithm, key.algorithm, "the same algorithm object");
  assert.equal(key.usages, key.usages, "the same usages object");
  assert.deepEqual(Reflect.ownKeys(key), []);
  assert.equal(JSON.stringify(key), "{}");
  assert.equal(Object.prototype.toString.call(key), "[object CryptoKey]");
  key.algorithm.name = "AES-CBC";
  key.usages.push("wrapKey");
  const iv = new Uint8Array(12);
  assert.equal((await subtle.encrypt({ name: "AES-GCM", iv }, key, new Uint8Array(0))).byteLength, 16,
    "changing the exposed objects changes nothing");
  await assert.rejects(subtle.wrapKey("raw", key, key, { name: "AES-GCM", iv }), "InvalidAccessError");
  assert.throws(() => Object.getOwnPropertyDescriptor(CryptoKey.prototype, "type").get.call({}), TypeError);
});

test("HMAC and AES: raw and jwk round trips", async () => {
  const bytes = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const hmac = await subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  const jwk = await subtle.exportKey("jwk", hmac);
  assert.deepEqual(jwk, { alg: "HS256", ext: true, k: b64url(hex(bytes)), key_ops: ["sign", "verify"], kty: "oct" });
  assert.deepEqual(Object.keys(jwk), ["alg", "ext", "k", "key_ops", "kty"], "dictionary order");
  const again = await subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  assert.equal(hex(await subtle.sign("HMAC", again, ascii("m"))), hex(await subtle.sign("HMAC", hmac, ascii("m"))));
  for (const [name, alg] of [["AES-GCM", "A256GCM"], ["AES-CBC", "A256CBC"], ["AES-CTR", "A256CTR"], ["AES-KW", "A256KW"]]) {
    const usages = name === "AES-KW" ? ["wrapKey"] : ["encrypt"];
    const aes = await subtle.importKey("raw", bytes, name, true, usages);
    const exported = await subtle.exportKey("jwk", aes);
    assert.equal(exported.alg, alg);
    const back = await subtle.importKey("jwk", exported, name, true, usages);
    assert.equal(hex(await subtle.exportKey("raw", back)), hex(bytes), name);
    await assert.rejects(subtle.exportKey("spki", aes), "NotSupportedError");
  }
  await assert.rejects(subtle.importKey("jwk", { ...jwk, alg: "HS512" }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]),
    "DataError", "alg does not match the hash");
  await assert.rejects(subtle.importKey("jwk", { kty: "oct", k: b64url(hex(bytes)), alg: "A128GCM" }, "AES-GCM", true, ["encrypt"]),
    "DataError", "alg does not match the key length");
});

test("ECDSA and ECDH: spki, pkcs8, jwk and raw round trips", async () => {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const jwk = { kty: "EC", crv: "P-256", x: b64url(P256.x), y: b64url(P256.y), d: b64url(P256.d) };
  const privateKey = await subtle.importKey("jwk", jwk, algorithm, true, ["sign"]);
  assert.equal(privateKey.type, "private");
  const pkcs8 = await subtle.exportKey("pkcs8", privateKey);
  const fromPkcs8 = await subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]);
  const exported = await subtle.exportKey("jwk", fromPkcs8);
  assert.deepEqual(exported, { crv: "P-256", d: jwk.d, ext: true, key_ops: ["sign"], kty: "EC", x: jwk.x, y: jwk.y });
  const publicKey = await subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, algorithm, true, ["verify"]);
  assert.equal(hex(await subtle.exportKey("raw", publicKey)), "04" + P256.x + P256.y, "uncompressed point");
  const spki = await subtle.exportKey("spki", publicKey);
  assert.ok(hex(spki).endsWith("04" + P256.x + P256.y), "SPKI ends with the point");
  const fromSpki = await subtle.importKey("spki", spki, algorithm, true, ["verify"]);
  const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, fromPkcs8, ascii("m"));
  assert.equal(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, fromSpki, signature, ascii("m")), true);
  // The same key material serves ECDH.
  const ecdh = await subtle.importKey("pkcs8", pkcs8, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  assert.deepEqual(ecdh.algorithm, { name: "ECDH", namedCurve: "P-256" });
  await assert.rejects(subtle.importKey("spki", spki, { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]),
    "SyntaxError", "an ECDH public key has no usages");
  await assert.rejects(subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-384" }, true, ["verify"]),
    "DataError", "a P-256 key is not a P-384 key");
  await assert.rejects(subtle.exportKey("spki", fromPkcs8), "InvalidAccessError", "spki of a private key");
  await assert.rejects(subtle.exportKey("pkcs8", publicKey), "InvalidAccessError", "pkcs8 of a public key");
  await assert.rejects(subtle.exportKey("raw", fromPkcs8), "InvalidAccessError", "raw of a private key");
  await assert.rejects(subtle.importKey("jwk", { ...jwk, crv: "P-384" }, algorithm, true, ["sign"]), "DataError", "crv");
  await assert.rejects(subtle.importKey("jwk", { ...jwk, alg: "ES384" }, algorithm, true, ["sign"]), "DataError", "alg");
  await assert.rejects(subtle.importKey("jwk", { ...jwk, d: b64url(P384.d.slice(0, 64)) }, algorithm, true, ["sign"]),
    "DataError", "d does not match x, y");
  const notOnCurve = unhex("04" + P256.x + P256.y);
  notOnCurve[64] ^= 1;
  await assert.rejects(subtle.importKey("raw", notOnCurve, algorithm, true, ["verify"]), "DataError", "point not on the curve");
  const p384 = await subtle.importKey("raw", unhex("04" + P384.x + P384.y), { name: "ECDSA", namedCurve: "P-384" }, true, ["verify"]);
  assert.deepEqual(await subtle.exportKey("jwk", p384),
    { crv: "P-384", ext: true, key_ops: ["verify"], kty: "EC", x: b64url(P384.x), y: b64url(P384.y) });
});

test("Ed25519 and X25519: round trips and RFC 7748 §6.1", async () => {
  const v = ED25519[2];
  const privateKey = await subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: b64url(v.public), d: b64url(v.secret) },
    "Ed25519", true, ["sign"]);
  const pkcs8 = await subtle.exportKey("pkcs8", privateKey);
  const again = await subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
  assert.equal(hex(await subtle.sign("Ed25519", again, unhex(v.message))), v.signature, "RFC 8032 TEST 3 after pkcs8");
  assert.deepEqual(await subtle.exportKey("jwk", again),
    { crv: "Ed25519", d: b64url(v.secret), ext: true, key_ops: ["sign"], kty: "OKP", x: b64url(v.public) });
  const publicKey = await subtle.importKey("raw", unhex(v.public), "Ed25519", true, ["verify"]);
  const spki = await subtle.exportKey("spki", publicKey);
  assert.equal(hex(spki), "302a300506032b6570032100" + v.public, "RFC 8410 SubjectPublicKeyInfo");
  await assert.rejects(subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]),
    "DataError", "an Ed25519 key is not an EC key");
  await assert.rejects(subtle.importKey("raw", unhex(v.public).slice(1), "Ed25519", true, ["verify"]), "DataError");
  await assert.rejects(subtle.importKey("raw", unhex(v.public), "Ed25519", true, ["sign"]), "SyntaxError");

  const alice = await subtle.importKey("jwk", { kty: "OKP", crv: "X25519", x: b64url(X25519.alicePublic), d: b64url(X25519.alicePrivate) },
    "X25519", false, ["deriveBits"]);
  const bob = await subtle.importKey("raw", unhex(X25519.bobPublic), "X25519", true, []);
  assert.equal(hex(await subtle.deriveBits({ name: "X25519", public: bob }, alice, 256)), X25519.shared);
  const pair = await subtle.generateKey("X25519", true, ["deriveKey"]);
  const aes = await subtle.deriveKey({ name: "X25519", public: bob }, pair.privateKey, { name: "AES-KW", length: 256 }, true, ["wrapKey"]);
  assert.equal(aes.algorithm.length, 256);
  const zero = await subtle.importKey("raw", new Uint8Array(32), "X25519", true, []);
  await assert.rejects(subtle.deriveBits({ name: "X25519", public: zero }, alice, 256), "OperationError", "all-zero secret");
});

test("RSA: generateKey, jwk/spki/pkcs8 round trips, RSA-OAEP", async () => {
  const publicExponent = new Uint8Array([1, 0, 1]);
  const pair = await subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent, hash: "SHA-256" },
    true, ["sign", "verify"]);
  assert.deepEqual(pair.privateKey.algorithm,
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent, hash: { name: "SHA-256" } });
  const jwk = await subtle.exportKey("jwk", pair.privateKey);
  assert.deepEqual(Object.keys(jwk), ["alg", "d", "dp", "dq", "e", "ext", "key_ops", "kty", "n", "p", "q", "qi"]);
  assert.equal(jwk.alg, "RS256");
  assert.equal(jwk.e, "AQAB");
  const fromJwk = await subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
  const fromPkcs8 = await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", pair.privateKey),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
  const s1 = await subtle.sign("RSASSA-PKCS1-v1_5", fromJwk, ascii("message"));
  assert.equal(hex(s1), hex(await subtle.sign("RSASSA-PKCS1-v1_5", fromPkcs8, ascii("message"))), "deterministic, same key");
  assert.equal(await subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, s1, ascii("message")), true);
  const publicJwk = await subtle.exportKey("jwk", pair.publicKey);
  assert.deepEqual(Object.keys(publicJwk), ["alg", "e", "ext", "key_ops", "kty", "n"]);
  const wycheproof = await subtle.importKey("spki", unhex(RSA.spki), { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]);
  assert.equal(hex(await subtle.exportKey("spki", wycheproof)), RSA.spki, "spki export is the DER imported");
  assert.deepEqual(await subtle.exportKey("jwk", wycheproof),
    { alg: "PS256", e: "AQAB", ext: true, key_ops: ["verify"], kty: "RSA", n: RSA.n });
  await assert.rejects(subtle.exportKey("raw", wycheproof), "NotSupportedError");
  await assert.rejects(subtle.importKey("jwk", { ...jwk, alg: "RS384" }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]),
    "DataError");
  await assert.rejects(subtle.importKey("jwk", { ...jwk, dp: undefined }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]),
    "DataError", "a CRT member is missing");
  await assert.rejects(subtle.generateKey({ name: "RSA-PSS", modulusLength: 1024, publicExponent: new Uint8Array([2]), hash: "SHA-256" },
    true, ["sign"]), "OperationError", "publicExponent 2");
  await assert.rejects(subtle.generateKey({ name: "RSA-PSS", modulusLength: 1024, publicExponent: [1, 0, 1], hash: "SHA-256" },
    true, ["sign"]), TypeError, "publicExponent must be a Uint8Array");

  // RSA-OAEP with the generated key material.
  const oaepPublic = await subtle.importKey("spki", await subtle.exportKey("spki", pair.publicKey),
    { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]);
  const oaepPrivate = await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", pair.privateKey),
    { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]);
  const label = ascii("label");
  const ciphertext = await subtle.encrypt({ name: "RSA-OAEP", label }, oaepPublic, ascii("secret"));
  assert.equal(ciphertext.byteLength, 128);
  assert.equal(hex(await subtle.decrypt({ name: "RSA-OAEP", label }, oaepPrivate, ciphertext)), hex(ascii("secret")));
  await assert.rejects(subtle.decrypt({ name: "RSA-OAEP" }, oaepPrivate, ciphertext), "OperationError", "wrong label");
  await assert.rejects(subtle.encrypt({ name: "RSA-OAEP" }, oaepPublic, new Uint8Array(100)), "OperationError", "too long");
});

test("wrapKey and unwrapKey: jwk through AES-GCM, raw through AES-KW", async () => {
  const wrapping = await subtle.generateKey({ name: "AES-GCM", length: 128 }, false, ["wrapKey", "unwrapKey"]);
  const key = await subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: b64url(P256.x), y: b64url(P256.y), d: b64url(P256.d) },
    { name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  const iv = new Uint8Array(12);
  const wrapped = await subtle.wrapKey("jwk", key, wrapping, { name: "AES-GCM", iv });
  const unwrapped = await subtle.unwrapKey("jwk", wrapped, wrapping, { name: "AES-GCM", iv },
    { name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  assert.equal((await subtle.exportKey("jwk", unwrapped)).d, b64url(P256.d));
  const notJson = await subtle.encrypt({ name: "AES-GCM", iv },
    await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"]), ascii("not json"));
  const zeroKey = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["unwrapKey"]);
  await assert.rejects(subtle.unwrapKey("jwk", notJson, zeroKey, { name: "AES-GCM", iv }, "AES-GCM", true, ["encrypt"]), "DataError");
  const hidden = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"]);
  await assert.rejects(subtle.wrapKey("raw", hidden, wrapping, { name: "AES-GCM", iv }), "InvalidAccessError", "not extractable");
  const kw = await subtle.generateKey({ name: "AES-KW", length: 128 }, false, ["wrapKey"]);
  const odd = await subtle.importKey("raw", new Uint8Array(5), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  await assert.rejects(subtle.wrapKey("raw", odd, kw, "AES-KW"), "OperationError", "not a multiple of 64 bits");
  await assert.rejects(subtle.wrapKey("raw", hidden, kw, "AES-KW"), "InvalidAccessError");
  await assert.rejects(subtle.encrypt("AES-KW", kw, new Uint8Array(16)), "NotSupportedError", "AES-KW does not encrypt");
});

test("errors: usages, formats, key data, arguments", async () => {
  const aes = await subtle.generateKey({ name: "AES-CBC", length: 128 }, true, ["encrypt"]);
  const iv = new Uint8Array(16);
  await assert.rejects(subtle.decrypt({ name: "AES-CBC", iv }, aes, new Uint8Array(16)), "InvalidAccessError", "no decrypt usage");
  await assert.rejects(subtle.encrypt({ name: "AES-GCM", iv }, aes, new Uint8Array(16)), "InvalidAccessError", "a key of another algorithm");
  const verifyOnly = await subtle.importKey("raw", new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  await assert.rejects(subtle.sign("HMAC", verifyOnly, new Uint8Array(1)), "InvalidAccessError", "no sign usage");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["sign"]), "SyntaxError", "usage AES cannot have");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, []), "SyntaxError", "a secret key needs a usage");
  await assert.rejects(subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]), "SyntaxError", "private key with no usage");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt", "bogus"]), TypeError, "not a KeyUsage");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(17), "AES-GCM", false, ["encrypt"]), "DataError", "17-byte AES key");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(0), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]), "DataError", "empty HMAC key");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), { name: "HMAC", hash: "SHA-1", length: 64 }, false, ["sign"]),
    "DataError", "length far below the data");
  await assert.rejects(subtle.importKey("spki", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), { name: "ECDSA", namedCurve: "P-256" },
    true, ["verify"]), "DataError", "not a SubjectPublicKeyInfo");
  await assert.rejects(subtle.importKey("pkcs8", new Uint8Array(40), "Ed25519", true, ["sign"]), "DataError", "not a PrivateKeyInfo");
  await assert.rejects(subtle.importKey("spki", unhex(RSA.spki + "00"), { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]),
    "DataError", "trailing bytes");
  await assert.rejects(subtle.importKey("jwk", { kty: "RSA", k: "AAAA" }, "AES-GCM", false, ["encrypt"]), "DataError", "kty");
  await assert.rejects(subtle.importKey("jwk", { kty: "oct", k: "A+/=" }, "AES-GCM", false, ["encrypt"]), "DataError", "k is not base64url");
  await assert.rejects(subtle.importKey("jwk", { kty: "oct", k: b64url("00".repeat(16)), ext: false }, "AES-GCM", true, ["encrypt"]),
    "DataError", "ext false but extractable");
  await assert.rejects(subtle.importKey("jwk", { kty: "oct", k: b64url("00".repeat(16)), key_ops: ["decrypt"] }, "AES-GCM", false, ["encrypt"]),
    "DataError", "key_ops lacks a usage");
  await assert.rejects(subtle.importKey("jwk", { kty: "oct", k: b64url("00".repeat(16)), use: "sig" }, "AES-GCM", false, ["encrypt"]),
    "DataError", "use");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), "AES-XTS", false, ["encrypt"]), "NotSupportedError");
  await assert.rejects(subtle.importKey("spki", new Uint8Array(16), "AES-GCM", false, ["encrypt"]), "NotSupportedError", "format");
  await assert.rejects(subtle.importKey("der", new Uint8Array(16), "AES-GCM", false, ["encrypt"]), TypeError, "not a KeyFormat");
  await assert.rejects(subtle.importKey("raw", { kty: "oct" }, "AES-GCM", false, ["encrypt"]), TypeError, "raw takes a BufferSource");
  await assert.rejects(subtle.importKey("jwk", new Uint8Array(16), "AES-GCM", false, ["encrypt"]), TypeError, "jwk takes a JsonWebKey");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false), TypeError, "missing keyUsages");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(32), { name: "HMAC" }, false, ["sign"]), TypeError, "hash is required");
  await assert.rejects(subtle.importKey("raw", new Uint8Array(32), { name: "HMAC", hash: "SHA-3" }, false, ["sign"]), "NotSupportedError");
  await assert.rejects(subtle.generateKey({ name: "AES-GCM", length: -1 }, false, ["encrypt"]), TypeError, "[EnforceRange]");
  await assert.rejects(subtle.generateKey({ name: "HMAC", hash: "SHA-256", length: 0 }, false, ["sign"]), "OperationError");
  const hidden = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"]);
  await assert.rejects(subtle.exportKey("raw", hidden), "InvalidAccessError", "not extractable");
  await assert.rejects(subtle.exportKey("raw", {}), TypeError, "not a CryptoKey");
  await assert.rejects(subtle.sign("HMAC", "key", new Uint8Array(1)), TypeError);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
