// WebCrypto (https://w3c.github.io/webcrypto/): crypto.getRandomValues, randomUUID, and
// crypto.subtle against published vectors (js/testing/crypto_vectors.js names each source).
// Key import/export, wrapping and the error cases are in crypto_keys_test.js.
import { test, assert, run } from "./testing/harness.js";
import {
  SHA, HMAC, SP800_38A, GCM, AES_KW, PBKDF2, HKDF, ECDSA, ECDH, ED25519, RSA,
} from "./testing/crypto_vectors.js";
import { ascii, b64url, hex, unhex } from "./testing/bytes.js";

const subtle = crypto.subtle;

test("globals: lazy data properties; Crypto, SubtleCrypto, CryptoKey are not constructible", () => {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  assert.equal(typeof descriptor.value, "object", "a data property");
  assert.equal(descriptor.enumerable, false);
  assert.ok(crypto instanceof Crypto);
  assert.ok(crypto.subtle instanceof SubtleCrypto);
  assert.equal(crypto.subtle, crypto.subtle, "[SameObject]");
  assert.equal(Object.prototype.toString.call(crypto), "[object Crypto]");
  assert.equal(Object.prototype.toString.call(crypto.subtle), "[object SubtleCrypto]");
  assert.throws(() => new Crypto(), TypeError);
  assert.throws(() => new SubtleCrypto(), TypeError);
  assert.throws(() => new CryptoKey(), TypeError);
  assert.equal(SubtleCrypto.prototype.importKey.length, 5);
  assert.equal(SubtleCrypto.prototype.deriveBits.length, 2);
});

test("getRandomValues: integer typed arrays, in place, at most 65536 bytes", () => {
  const bytes = new Uint8Array(64);
  assert.equal(crypto.getRandomValues(bytes), bytes, "returns its argument");
  assert.ok(bytes.some((b) => b !== 0), "filled");
  const words = new Uint32Array(16);
  crypto.getRandomValues(words);
  assert.ok(words.some((w) => w !== 0));
  crypto.getRandomValues(new BigInt64Array(2));
  crypto.getRandomValues(new Uint8Array(65536));
  const view = new Uint8Array(new ArrayBuffer(8), 4, 2);
  crypto.getRandomValues(view);
  assert.deepEqual(Array.from(new Uint8Array(view.buffer, 0, 4)), [0, 0, 0, 0], "only the view's bytes");
  assert.throws(() => crypto.getRandomValues(new Float64Array(2)), "TypeMismatchError");
  assert.throws(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4))), "TypeMismatchError");
  assert.throws(() => crypto.getRandomValues(new Uint8Array(65537)), "QuotaExceededError");
  assert.throws(() => crypto.getRandomValues([1, 2]), TypeError);
  assert.throws(() => crypto.getRandomValues(), TypeError);
  const error = assert.throws(() => crypto.getRandomValues(new Uint16Array(40000)), "QuotaExceededError");
  assert.equal(error.code, 22, "a DOMException with the legacy code");
  assert.throws(() => Crypto.prototype.getRandomValues.call({}, new Uint8Array(1)), TypeError);
});

test("randomUUID: version 4, variant 10", () => {
  const uuid = crypto.randomUUID();
  assert.ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), uuid);
  assert.notEqual(crypto.randomUUID(), uuid);
});

test("digest: FIPS 180-2 vectors", async () => {
  for (const v of SHA) {
    const digest = await subtle.digest(v.hash, ascii(v.message));
    assert.ok(digest instanceof ArrayBuffer);
    assert.equal(hex(digest), v.digest, `${v.hash}("${v.message}")`);
  }
  const abc = ascii("xxabcxx");
  assert.equal(hex(await subtle.digest({ name: "sha-256" }, new DataView(abc.buffer, 2, 3))), SHA[2].digest,
    "case-insensitive name, DataView with an offset");
  assert.equal(hex(await subtle.digest("SHA-256", abc.buffer.slice(2, 5))), SHA[2].digest, "ArrayBuffer");
  assert.equal(hex(await subtle.digest("SHA-256", new Uint8Array(0))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty input");
  // MD5: Cloudflare's extension (workers_extras_test.js); SHA-3 is not there.
  assert.equal(hex(await subtle.digest("MD5", new Uint8Array(0))), "d41d8cd98f00b204e9800998ecf8427e");
  await assert.rejects(subtle.digest("SHA3-256", abc), "NotSupportedError");
  await assert.rejects(subtle.digest("\u017Fha-256", abc), "NotSupportedError", "ASCII case-insensitive only");
  await assert.rejects(subtle.digest("SHA-256"), TypeError, "missing argument");
  await assert.rejects(subtle.digest("SHA-256", "abc"), TypeError, "not a BufferSource");
  await assert.rejects(subtle.digest({}, abc), TypeError, "no name");
  await assert.rejects(SubtleCrypto.prototype.digest.call({}, "SHA-256", abc), TypeError, "wrong this");
});

test("HMAC: RFC 4231 vectors, verify, generateKey", async () => {
  for (const v of HMAC) {
    const key = await subtle.importKey("raw", unhex(v.key), { name: "HMAC", hash: v.hash }, false, ["sign", "verify"]);
    assert.equal(key.algorithm.length, v.key.length * 4);
    const mac = await subtle.sign("HMAC", key, unhex(v.data));
    assert.equal(hex(mac), v.mac, `case ${v.case} ${v.hash}`);
    assert.equal(await subtle.verify("HMAC", key, unhex(v.mac), unhex(v.data)), true);
    const tampered = unhex(v.mac);
    tampered[0] ^= 1;
    assert.equal(await subtle.verify("HMAC", key, tampered, unhex(v.data)), false, "tampered MAC");
    assert.equal(await subtle.verify("HMAC", key, unhex(v.mac).slice(1), unhex(v.data)), false, "short MAC");
  }
  const generated = await subtle.generateKey({ name: "HMAC", hash: "SHA-384" }, true, ["sign"]);
  assert.equal(generated.type, "secret");
  assert.deepEqual(generated.algorithm, { name: "HMAC", length: 1024, hash: { name: "SHA-384" } }, "block size");
  assert.deepEqual(generated.usages, ["sign"]);
  assert.equal((await subtle.exportKey("raw", generated)).byteLength, 128);
  const short = await subtle.generateKey({ name: "HMAC", hash: "SHA-256", length: 128 }, true, ["sign", "verify"]);
  assert.equal((await subtle.exportKey("raw", short)).byteLength, 16);
});

test("AES-CBC: NIST SP 800-38A F.2.1 and F.2.5, PKCS#7 padding", async () => {
  const v = SP800_38A;
  for (const [keyHex, expected] of [[v.key128, v.cbc128], [v.key256, v.cbc256]]) {
    const key = await subtle.importKey("raw", unhex(keyHex), "AES-CBC", false, ["encrypt", "decrypt"]);
    const ciphertext = await subtle.encrypt({ name: "AES-CBC", iv: unhex(v.iv) }, key, unhex(v.plaintext));
    assert.equal(ciphertext.byteLength, 80, "one block of padding");
    assert.equal(hex(ciphertext).slice(0, 128), expected, `AES-${keyHex.length * 4}-CBC`);
    assert.equal(hex(await subtle.decrypt({ name: "AES-CBC", iv: unhex(v.iv) }, key, ciphertext)), v.plaintext);
    const broken = new Uint8Array(ciphertext);
    broken[79] ^= 0xff;
    await assert.rejects(subtle.decrypt({ name: "AES-CBC", iv: unhex(v.iv) }, key, broken), "OperationError", "bad padding");
    await assert.rejects(subtle.encrypt({ name: "AES-CBC", iv: new Uint8Array(15) }, key, unhex(v.plaintext)),
      "OperationError", "iv of 15 bytes");
  }
});

test("AES-CTR: NIST SP 800-38A F.5.1 and F.5.5, counter length", async () => {
  const v = SP800_38A;
  for (const [keyHex, expected] of [[v.key128, v.ctr128], [v.key256, v.ctr256]]) {
    const key = await subtle.importKey("raw", unhex(keyHex), "AES-CTR", false, ["encrypt", "decrypt"]);
    const params = { name: "AES-CTR", counter: unhex(v.counter), length: 64 };
    assert.equal(hex(await subtle.encrypt(params, key, unhex(v.plaintext))), expected, `AES-${keyHex.length * 4}-CTR`);
    assert.equal(hex(await subtle.decrypt(params, key, unhex(expected))), v.plaintext);
    assert.equal(hex(await subtle.encrypt(params, key, unhex(v.plaintext).slice(0, 20))), expected.slice(0, 40), "partial block");
  }
  // The counter is the rightmost `length` bits and wraps alone: with length 8 and a counter block
  // ending in ff, the second block uses ...fe00 (not ...ff00, where a 128-bit increment goes).
  const key = await subtle.importKey("raw", unhex(v.key128), "AES-CTR", false, ["encrypt"]);
  const zeros = new Uint8Array(32);
  const wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-CTR", counter: unhex(v.counter), length: 8 }, key, zeros));
  const restart = unhex(v.counter);
  restart[15] = 0;
  const second = await subtle.encrypt({ name: "AES-CTR", counter: restart, length: 128 }, key, zeros.slice(16));
  assert.equal(hex(wrapped.slice(16)), hex(second), "wraps within the counter bits");
  const full = new Uint8Array(await subtle.encrypt({ name: "AES-CTR", counter: unhex(v.counter), length: 128 }, key, zeros));
  assert.notEqual(hex(wrapped.slice(16)), hex(full.slice(16)), "not a 128-bit increment");
  await assert.rejects(subtle.encrypt({ name: "AES-CTR", counter: unhex(v.counter), length: 1 }, key, new Uint8Array(48)),
    "OperationError", "3 blocks with a 1-bit counter");
  await assert.rejects(subtle.encrypt({ name: "AES-CTR", counter: unhex(v.counter), length: 0 }, key, zeros), "OperationError");
  await assert.rejects(subtle.encrypt({ name: "AES-CTR", counter: unhex(v.counter) }, key, zeros), TypeError, "length is required");
});

test("AES-GCM: McGrew & Viega test cases, tag length, authentication", async () => {
  for (const v of GCM) {
    const key = await subtle.importKey("raw", unhex(v.key), "AES-GCM", false, ["encrypt", "decrypt"]);
    const params = { name: "AES-GCM", iv: unhex(v.iv) };
    if (v.aad) params.additionalData = unhex(v.aad);
    const sealed = await subtle.encrypt(params, key, unhex(v.plaintext));
    assert.equal(hex(sealed), v.ciphertext + v.tag, `test case ${v.case}`);
    assert.equal(hex(await subtle.decrypt(params, key, sealed)), v.plaintext);
    const tampered = new Uint8Array(sealed);
    tampered[tampered.length - 1] ^= 1;
    await assert.rejects(subtle.decrypt(params, key, tampered), "OperationError", "tampered tag");
    if (v.aad) {
      await assert.rejects(subtle.decrypt({ name: "AES-GCM", iv: unhex(v.iv) }, key, sealed), "OperationError", "AAD missing");
    }
  }
  const v = GCM[1];
  const key = await subtle.importKey("raw", unhex(v.key), "AES-GCM", false, ["encrypt", "decrypt"]);
  const short = await subtle.encrypt({ name: "AES-GCM", iv: unhex(v.iv), tagLength: 96 }, key, unhex(v.plaintext));
  assert.equal(hex(short), v.ciphertext + v.tag.slice(0, 24), "a 96-bit tag is the full tag's prefix");
  await assert.rejects(subtle.encrypt({ name: "AES-GCM", iv: unhex(v.iv), tagLength: 100 }, key, new Uint8Array(1)), "OperationError");
  await assert.rejects(subtle.decrypt({ name: "AES-GCM", iv: unhex(v.iv) }, key, new Uint8Array(15)), "OperationError", "shorter than the tag");
  const generated = await subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  assert.deepEqual(generated.algorithm, { name: "AES-GCM", length: 256 });
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const roundTrip = await subtle.decrypt({ name: "AES-GCM", iv }, generated,
    await subtle.encrypt({ name: "AES-GCM", iv }, generated, ascii("hello")));
  assert.equal(hex(roundTrip), hex(ascii("hello")));
  await assert.rejects(subtle.generateKey({ name: "AES-GCM", length: 100 }, false, ["encrypt"]), "OperationError");
});

test("AES-KW: RFC 3394 §4.1 through wrapKey and unwrapKey", async () => {
  const kek = await subtle.importKey("raw", unhex(AES_KW.kek), "AES-KW", false, ["wrapKey", "unwrapKey"]);
  const key = await subtle.importKey("raw", unhex(AES_KW.keyData), "AES-GCM", true, ["encrypt"]);
  const wrapped = await subtle.wrapKey("raw", key, kek, "AES-KW");
  assert.equal(hex(wrapped), AES_KW.wrapped);
  const unwrapped = await subtle.unwrapKey("raw", unhex(AES_KW.wrapped), kek, "AES-KW", "AES-GCM", true, ["decrypt"]);
  assert.equal(hex(await subtle.exportKey("raw", unwrapped)), AES_KW.keyData);
  assert.deepEqual(unwrapped.usages, ["decrypt"]);
  const corrupt = unhex(AES_KW.wrapped);
  corrupt[3] ^= 1;
  await assert.rejects(subtle.unwrapKey("raw", corrupt, kek, "AES-KW", "AES-GCM", true, ["decrypt"]), "OperationError");
});

test("PBKDF2: RFC 6070 (SHA-1) and RFC 7914 (SHA-256) vectors", async () => {
  for (const v of PBKDF2) {
    const key = await subtle.importKey("raw", ascii(v.password), "PBKDF2", false, ["deriveBits"]);
    const bits = await subtle.deriveBits({ name: "PBKDF2", hash: v.hash, salt: ascii(v.salt), iterations: v.iterations }, key, v.bits);
    assert.equal(hex(bits), v.key, `${v.hash} ${v.iterations}`);
  }
  const key = await subtle.importKey("raw", ascii("password"), "PBKDF2", false, ["deriveBits", "deriveKey"]);
  assert.deepEqual(key.algorithm, { name: "PBKDF2" });
  const params = { name: "PBKDF2", hash: "SHA-1", salt: ascii("salt"), iterations: 1 };
  const aes = await subtle.deriveKey(params, key, { name: "AES-CBC", length: 128 }, true, ["encrypt"]);
  assert.equal(hex(await subtle.exportKey("raw", aes)), PBKDF2[0].key.slice(0, 32), "deriveKey takes the first 128 bits");
  await assert.rejects(subtle.deriveBits({ ...params, iterations: 0 }, key, 128), "OperationError");
  await assert.rejects(subtle.deriveBits(params, key, 12), "OperationError", "not a multiple of 8");
  await assert.rejects(subtle.deriveBits(params, key), "OperationError", "length null");
  assert.equal((await subtle.deriveBits(params, key, 0)).byteLength, 0);
  await assert.rejects(subtle.deriveBits({ ...params, iterations: 1e6 }, key, 128), "NotSupportedError", "iteration cap");
  await assert.rejects(subtle.importKey("raw", ascii("p"), "PBKDF2", true, ["deriveBits"]), "SyntaxError", "extractable");
  await assert.rejects(subtle.exportKey("raw", key), "NotSupportedError");
});

test("HKDF: RFC 5869 test cases 1, 3 and 4", async () => {
  for (const v of HKDF) {
    const key = await subtle.importKey("raw", unhex(v.ikm), "HKDF", false, ["deriveBits"]);
    const bits = await subtle.deriveBits({ name: "HKDF", hash: v.hash, salt: unhex(v.salt), info: unhex(v.info) }, key, v.bits);
    assert.equal(hex(bits), v.okm, `${v.hash} salt ${v.salt.length / 2} bytes`);
  }
  const key = await subtle.importKey("raw", unhex(HKDF[0].ikm), "HKDF", false, ["deriveKey"]);
  const params = { name: "HKDF", hash: "SHA-256", salt: unhex(HKDF[0].salt), info: unhex(HKDF[0].info) };
  const hmac = await subtle.deriveKey(params, key, { name: "HMAC", hash: "SHA-256", length: 256 }, true, ["sign"]);
  assert.equal(hex(await subtle.exportKey("raw", hmac)), HKDF[0].okm.slice(0, 64));
  await assert.rejects(subtle.deriveBits(params, key, 256), "InvalidAccessError", "usages lack deriveBits");
  const bitsKey = await subtle.importKey("raw", unhex(HKDF[0].ikm), "HKDF", false, ["deriveBits"]);
  await assert.rejects(subtle.deriveBits(params, bitsKey, 256 * 255 + 8), "OperationError", "more than 255 blocks");
  await assert.rejects(subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0) }, bitsKey, 256), TypeError, "info is required");
});

test("ECDSA: RFC 6979 signatures verify on P-256 and P-384; sign/verify round trip", async () => {
  for (const [curve, v] of Object.entries(ECDSA)) {
    const jwk = { kty: "EC", crv: curve, x: b64url(v.x), y: b64url(v.y) };
    const publicKey = await subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
    const rawKey = await subtle.importKey("raw", unhex("04" + v.x + v.y), { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
    assert.equal(publicKey.type, "public");
    assert.deepEqual(publicKey.algorithm, { name: "ECDSA", namedCurve: curve });
    for (const s of v.signatures) {
      const params = { name: "ECDSA", hash: s.hash };
      assert.equal(await subtle.verify(params, publicKey, unhex(s.r + s.s), ascii(s.message)), true, `${curve} "${s.message}"`);
      assert.equal(await subtle.verify(params, rawKey, unhex(s.r + s.s), ascii(s.message)), true, "raw import");
      assert.equal(await subtle.verify(params, publicKey, unhex(s.r + s.s), ascii(s.message + "!")), false, "other message");
      assert.equal(await subtle.verify(params, publicKey, unhex(s.s + s.r), ascii(s.message)), false, "swapped r and s");
      assert.equal(await subtle.verify(params, publicKey, unhex(s.r), ascii(s.message)), false, "wrong length");
    }
    const privateKey = await subtle.importKey("jwk", { ...jwk, d: b64url(v.d) }, { name: "ECDSA", namedCurve: curve }, false, ["sign"]);
    const params = { name: "ECDSA", hash: v.signatures[0].hash };
    const signature = await subtle.sign(params, privateKey, ascii("round trip"));
    assert.equal(signature.byteLength, v.x.length, "r || s, each the size of the order");
    assert.equal(await subtle.verify(params, publicKey, signature, ascii("round trip")), true);
  }
  const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, ["sign", "verify"]);
  assert.equal(pair.publicKey.extractable, true, "public keys are always extractable");
  assert.equal(pair.privateKey.extractable, false);
  assert.deepEqual(pair.publicKey.usages, ["verify"]);
  assert.deepEqual(pair.privateKey.usages, ["sign"]);
  const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-384" }, pair.privateKey, ascii("x"));
  assert.equal(await subtle.verify({ name: "ECDSA", hash: "SHA-384" }, pair.publicKey, signature, ascii("x")), true);
  assert.equal(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, signature, ascii("x")), false, "other hash");
  await assert.rejects(subtle.generateKey({ name: "ECDSA", namedCurve: "P-192" }, false, ["sign"]), "NotSupportedError");
});

test("ECDH: RFC 5903 shared secrets on P-256 and P-384", async () => {
  for (const [curve, v] of Object.entries(ECDH)) {
    const algorithm = { name: "ECDH", namedCurve: curve };
    const mine = await subtle.importKey("jwk",
      { kty: "EC", crv: curve, x: b64url(v.gix), y: b64url(v.giy), d: b64url(v.i) }, algorithm, false, ["deriveBits", "deriveKey"]);
    const theirs = await subtle.importKey("raw", unhex("04" + v.grx + v.gry), algorithm, true, []);
    const bits = await subtle.deriveBits({ name: "ECDH", public: theirs }, mine, v.girx.length * 4);
    assert.equal(hex(bits), v.girx, curve);
    assert.equal(hex(await subtle.deriveBits({ name: "ECDH", public: theirs }, mine)), v.girx, "length null: all of it");
    const twelve = unhex(v.girx.slice(0, 4));
    twelve[1] &= 0xf0;
    assert.equal(hex(await subtle.deriveBits({ name: "ECDH", public: theirs }, mine, 12)), hex(twelve), "12 bits");
    await assert.rejects(subtle.deriveBits({ name: "ECDH", public: theirs }, mine, v.girx.length * 4 + 8), "OperationError");
    const aes = await subtle.deriveKey({ name: "ECDH", public: theirs }, mine, { name: "AES-GCM", length: 128 }, true, ["encrypt"]);
    assert.equal(hex(await subtle.exportKey("raw", aes)), v.girx.slice(0, 32));
  }
  const a = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const b = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  assert.deepEqual(a.publicKey.usages, []);
  assert.equal(hex(await subtle.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 256)),
    hex(await subtle.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, 256)), "both sides agree");
  const other = await subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]);
  await assert.rejects(subtle.deriveBits({ name: "ECDH", public: other.publicKey }, a.privateKey, 256), "InvalidAccessError", "other curve");
  await assert.rejects(subtle.deriveBits({ name: "ECDH", public: b.privateKey }, a.privateKey, 256), "InvalidAccessError", "not a public key");
  await assert.rejects(subtle.deriveBits({ name: "ECDH", public: {} }, a.privateKey, 256), TypeError, "public is not a CryptoKey");
});

test("Ed25519: RFC 8032 TEST 1-3 signatures, byte for byte", async () => {
  for (const v of ED25519) {
    const privateKey = await subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: b64url(v.public), d: b64url(v.secret) },
      "Ed25519", true, ["sign"]);
    const publicKey = await subtle.importKey("raw", unhex(v.public), { name: "Ed25519" }, true, ["verify"]);
    assert.equal(hex(await subtle.sign("Ed25519", privateKey, unhex(v.message))), v.signature, `message ${v.message || "(empty)"}`);
    assert.equal(await subtle.verify("Ed25519", publicKey, unhex(v.signature), unhex(v.message)), true);
    const tampered = unhex(v.signature);
    tampered[10] ^= 4;
    assert.equal(await subtle.verify("Ed25519", publicKey, tampered, unhex(v.message)), false);
    assert.equal(hex(await subtle.exportKey("raw", publicKey)), v.public);
  }
  const pair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]);
  assert.deepEqual(pair.privateKey.algorithm, { name: "Ed25519" });
  const signature = await subtle.sign("Ed25519", pair.privateKey, ascii("m"));
  assert.equal(signature.byteLength, 64);
  assert.equal(await subtle.verify("Ed25519", pair.publicKey, signature, ascii("m")), true);
  await assert.rejects(subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: b64url(ED25519[1].public), d: b64url(ED25519[0].secret) },
    "Ed25519", true, ["sign"]), "DataError", "x does not match d");
});

test("RSASSA-PKCS1-v1_5 and RSA-PSS: Wycheproof signatures verify", async () => {
  const pkcs1 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const spkiKey = await subtle.importKey("spki", unhex(RSA.spki), pkcs1, true, ["verify"]);
  const jwkKey = await subtle.importKey("jwk", { kty: "RSA", n: RSA.n, e: RSA.e, alg: "RS256" }, pkcs1, true, ["verify"]);
  assert.equal(spkiKey.algorithm.modulusLength, 2048);
  assert.deepEqual(spkiKey.algorithm.publicExponent, new Uint8Array([1, 0, 1]));
  assert.deepEqual(spkiKey.algorithm.hash, { name: "SHA-256" });
  for (const v of RSA.pkcs1) {
    assert.equal(await subtle.verify("RSASSA-PKCS1-v1_5", spkiKey, unhex(v.signature), unhex(v.message)), true, `pkcs1 "${v.message}"`);
    assert.equal(await subtle.verify("RSASSA-PKCS1-v1_5", jwkKey, unhex(v.signature), unhex(v.message)), true, "JWK import");
  }
  assert.equal(await subtle.verify("RSASSA-PKCS1-v1_5", spkiKey, unhex(RSA.pkcs1Invalid.signature), unhex(RSA.pkcs1Invalid.message)),
    false, "Wycheproof tcId 9 (long-form length) is invalid");
  const pss = { name: "RSA-PSS", hash: "SHA-256" };
  const pssKey = await subtle.importKey("spki", unhex(RSA.spki), pss, false, ["verify"]);
  for (const v of RSA.pss) {
    assert.equal(await subtle.verify({ name: "RSA-PSS", saltLength: 32 }, pssKey, unhex(v.signature), unhex(v.message)), true, `pss "${v.message}"`);
    assert.equal(await subtle.verify({ name: "RSA-PSS", saltLength: 20 }, pssKey, unhex(v.signature), unhex(v.message)), false, "other salt length");
  }
  assert.equal(await subtle.verify({ name: "RSA-PSS", saltLength: 32 }, pssKey, unhex(RSA.pkcs1[0].signature), new Uint8Array(0)),
    false, "a PKCS#1 v1.5 signature is not a PSS signature");
  await assert.rejects(subtle.verify("RSASSA-PKCS1-v1_5", pssKey, unhex(RSA.pkcs1[0].signature), new Uint8Array(0)),
    "InvalidAccessError", "a key for another algorithm");

});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
