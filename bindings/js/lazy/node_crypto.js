// node:crypto (nodejs_compat; https://nodejs.org/api/crypto.html): the part Workers offers that a
// worker uses most: randomBytes, randomFillSync, randomInt, randomUUID, getRandomValues,
// createHash / createHmac (md5, sha1, sha256, sha384, sha512; over the WebCrypto digest native,
// on OpenSSL), pbkdf2 / hkdf (the WebCrypto natives), timingSafeEqual, webcrypto/subtle. No
// ciphers or keys (README "Workers compatibility").
const { Buffer } = internal.require("node_buffer");
const web = internal.require("crypto");

const kHashes = {
  "md5": ["MD5", 64],
  "sha1": ["SHA-1", 64], "sha-1": ["SHA-1", 64], "sha256": ["SHA-256", 64], "sha-256": ["SHA-256", 64],
  "sha384": ["SHA-384", 128], "sha-384": ["SHA-384", 128], "sha512": ["SHA-512", 128], "sha-512": ["SHA-512", 128],
};

function hashOf(algorithm) {
  const found = kHashes[String(algorithm).toLowerCase()];
  if (found === undefined) throw new Error(`Digest method not supported: ${algorithm}`);
  return found;
}

function toBytes(data, encoding) {
  if (typeof data === "string") return Buffer.from(data, encoding);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError("The \"data\" argument must be of type string or an instance of Buffer, TypedArray, or DataView");
}

function digest(name, bytes) {
  const result = native.cryptoDigest(name, bytes);
  if (typeof result === "string") throw new Error(result);
  return Buffer.from(result);
}

function output(bytes, encoding) {
  return encoding === undefined || encoding === "buffer" ? bytes : bytes.toString(encoding);
}

// One-shot natives: update() keeps the chunks, and digest() hashes what finish() gives it once.
class Chunks {
  #chunks = [];
  #done = false;

  update(data, encoding = undefined) {
    if (this.#done) throw new Error("Digest already called");
    this.#chunks.push(Buffer.from(toBytes(data, encoding)));
    return this;
  }

  // The chunks so far, for digest(); a second call throws, as Node's digest().
  finish() {
    if (this.#done) throw new Error("Digest already called");
    this.#done = true;
    return this.#chunks;
  }

  chunks() {
    return this.#chunks;
  }
}

class Hash extends Chunks {
  #name;

  constructor(algorithm) {
    super();
    this.#name = hashOf(algorithm)[0];
  }

  digest(encoding = undefined) {
    return output(digest(this.#name, Buffer.concat(this.finish())), encoding);
  }

  copy() {
    const copy = new Hash(this.#name.toLowerCase());
    for (const chunk of this.chunks()) copy.update(chunk);
    return copy;
  }
}

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || message)).
class Hmac extends Chunks {
  #name;
  #key;

  constructor(algorithm, key, encoding = undefined) {
    super();
    const [name, block] = hashOf(algorithm);
    this.#name = name;
    let bytes = Buffer.from(toBytes(key, encoding));
    if (bytes.length > block) bytes = digest(name, bytes);
    this.#key = Buffer.alloc(block);
    bytes.copy(this.#key);
  }

  digest(encoding = undefined) {
    const chunks = this.finish();
    const inner = Buffer.alloc(this.#key.length);
    const outer = Buffer.alloc(this.#key.length);
    for (let i = 0; i < this.#key.length; i++) {
      inner[i] = this.#key[i] ^ 0x36;
      outer[i] = this.#key[i] ^ 0x5c;
    }
    const innerHash = digest(this.#name, Buffer.concat([inner, ...chunks]));
    return output(digest(this.#name, Buffer.concat([outer, innerHash])), encoding);
  }
}

function randomFillSync(buffer, offset = 0, size = undefined) {
  const view = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
                                          : new Uint8Array(buffer);
  const end = size === undefined ? view.length : offset + size;
  for (let i = offset; i < end; i += 65536) web.crypto.getRandomValues(view.subarray(i, Math.min(end, i + 65536)));
  return buffer;
}

function randomBytes(size, callback = undefined) {
  const bytes = randomFillSync(Buffer.alloc(size));
  if (callback === undefined) return bytes;
  Promise.resolve().then(() => callback(null, bytes));
  return undefined;
}

function randomFill(buffer, offset, size, callback) {
  if (typeof offset === "function") [offset, size, callback] = [0, undefined, offset];
  else if (typeof size === "function") [size, callback] = [undefined, size];
  randomFillSync(buffer, offset, size);
  Promise.resolve().then(() => callback(null, buffer));
}

function randomInt(min, max = undefined, callback = undefined) {
  if (max === undefined || typeof max === "function") [min, max, callback] = [0, min, max];
  const range = max - min;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range <= 0 || range > 2 ** 48) {
    throw new RangeError("randomInt: min and max must be safe integers with 0 < max - min <= 2^48");
  }
  // Rejection sampling over 48 random bits, so that every value is equally likely.
  const limit = 2 ** 48 - (2 ** 48 % range);
  let value;
  do {
    value = randomBytes(6).readUIntBE(0, 6);
  } while (value >= limit);
  const result = min + (value % range);
  if (callback === undefined) return result;
  Promise.resolve().then(() => callback(null, result));
  return undefined;
}

function checked(result) {
  if (typeof result === "string") throw new Error(result);
  return Buffer.from(result);
}

// https://nodejs.org/api/crypto.html#cryptopbkdf2syncpassword-salt-iterations-keylen-digest
function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const key = native.cryptoSecretImport(toBytes(password));
  return checked(native.cryptoPbkdf2(hashOf(digest)[0], key, toBytes(salt), iterations, keylen));
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  let result;
  try {
    result = pbkdf2Sync(password, salt, iterations, keylen, digest);
  } catch (error) {
    Promise.resolve().then(() => callback(error));
    return;
  }
  Promise.resolve().then(() => callback(null, result));
}

// https://nodejs.org/api/crypto.html#cryptohkdfsyncdigest-ikm-salt-info-keylen (an ArrayBuffer).
function hkdfSync(digest, ikm, salt, info, keylen) {
  const key = native.cryptoSecretImport(toBytes(ikm));
  const bytes = checked(native.cryptoHkdf(hashOf(digest)[0], key, toBytes(salt), toBytes(info), keylen));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

function hkdf(digest, ikm, salt, info, keylen, callback) {
  let result;
  try {
    result = hkdfSync(digest, ikm, salt, info, keylen);
  } catch (error) {
    Promise.resolve().then(() => callback(error));
    return;
  }
  Promise.resolve().then(() => callback(null, result));
}

function timingSafeEqual(a, b) {
  const x = toBytes(a);
  const y = toBytes(b);
  if (x.byteLength !== y.byteLength) throw new RangeError("Input buffers must have the same byte length");
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

module.exports = {
  createHash: (algorithm) => new Hash(algorithm),
  createHmac: (algorithm, key, options = undefined) => new Hmac(algorithm, key, options?.encoding),
  Hash,
  Hmac,
  getHashes: () => ["md5", "sha1", "sha256", "sha384", "sha512"],
  pbkdf2,
  pbkdf2Sync,
  hkdf,
  hkdfSync,
  randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID: () => web.crypto.randomUUID(),
  getRandomValues: (array) => web.crypto.getRandomValues(array),
  timingSafeEqual,
  webcrypto: web.crypto,
  subtle: web.crypto.subtle,
};
