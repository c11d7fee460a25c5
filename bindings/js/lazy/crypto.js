// WebCrypto (https://w3c.github.io/webcrypto/): the `crypto` global, Crypto and SubtleCrypto.
// The operations are lazy module crypto_subtle (crypto_subtle.js, with CryptoKey and the
// algorithms), loaded by the first SubtleCrypto method call: libraries look for `crypto.subtle`
// at their top level (hono/cache does) and handlers call crypto.randomUUID(), neither of which
// needs them (BM_FirstUse crypto_probe: the whole of WebCrypto was ~2.5 ms and ~200 KB of heap
// in a fresh isolate). Written against internal.primordials, as dom_exception.js: harden.mjs
// leaves it as it is and it loads no safe-calls runtime. Methods do the work synchronously and
// answer a settled promise (as workerd does).
const { exposeInterface, newDOMException: domError } = internal;
const { $TypeError, ReflectApply, ObjectDefineProperty } = internal.primordials;
const kConstruct = { __proto__: null };  // the constructors' token

let operations;
function subtleOperations() {
  if (operations === undefined) operations = internal.require("crypto_subtle").operations;
  return operations;
}
// A SubtleCrypto method: checks the receiver, then runs the operation of that name with the
// method's arguments (what either throws rejects the async methods' promise).
function callOperation(receiver, name, args) {
  if (!isSubtle(receiver)) throw new $TypeError("Illegal invocation");
  const ops = subtleOperations();
  return ReflectApply(ops[name], ops, args);
}

class SubtleCrypto {
  #brand = true;

  constructor(token) {
    if (token !== kConstruct) throw new $TypeError("Illegal constructor");
  }

  static is(value) {
    return value !== null && typeof value === "object" && #brand in value;
  }

  async encrypt(algorithm, key, data) {
    return callOperation(this, "encrypt", arguments);
  }

  async decrypt(algorithm, key, data) {
    return callOperation(this, "decrypt", arguments);
  }

  async sign(algorithm, key, data) {
    return callOperation(this, "sign", arguments);
  }

  async verify(algorithm, key, signature, data) {
    return callOperation(this, "verify", arguments);
  }

  async digest(algorithm, data) {
    return callOperation(this, "digest", arguments);
  }

  // Cloudflare's extension (https://developers.cloudflare.com/workers/examples/protect-against-timing-attacks/):
  // synchronous, unlike the rest.
  timingSafeEqual(a, b) {
    return callOperation(this, "timingSafeEqual", arguments);
  }

  async generateKey(algorithm, extractable, keyUsages) {
    return callOperation(this, "generateKey", arguments);
  }

  async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    return callOperation(this, "deriveKey", arguments);
  }

  async deriveBits(algorithm, baseKey, length = null) {
    return callOperation(this, "deriveBits", arguments);
  }

  async importKey(format, keyData, algorithm, extractable, keyUsages) {
    return callOperation(this, "importKey", arguments);
  }

  async exportKey(format, key) {
    return callOperation(this, "exportKey", arguments);
  }

  async wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    return callOperation(this, "wrapKey", arguments);
  }

  async unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    return callOperation(this, "unwrapKey", arguments);
  }
}

const isSubtle = SubtleCrypto.is;
delete SubtleCrypto.is;

class Crypto {
  #subtle;

  constructor(token) {
    if (token !== kConstruct) throw new $TypeError("Illegal constructor");
    this.#subtle = new SubtleCrypto(kConstruct);
  }

  get subtle() {
    return this.#subtle;
  }

  getRandomValues(array) {
    this.#subtle;  // brand check
    if (arguments.length < 1) throw new $TypeError("Crypto.getRandomValues: 1 argument required");
    const failure = native.cryptoRandomFill(array);
    if (failure === "TypeMismatchError") {
      throw domError("getRandomValues takes an integer-typed array", "TypeMismatchError");
    }
    if (failure === "QuotaExceededError") {
      throw domError("getRandomValues takes at most 65536 bytes", "QuotaExceededError");
    }
    return array;
  }

  randomUUID() {
    this.#subtle;  // brand check
    return native.cryptoRandomUUID();
  }
}

exposeInterface(Crypto, "Crypto", false);
// crypto.DigestStream (Cloudflare's, js/lazy/workers_streams.js): loads the streams on first read,
// then is a plain data property of Crypto.prototype.
ObjectDefineProperty(Crypto.prototype, "DigestStream", {
  __proto__: null,
  get() {
    const { DigestStream } = internal.require("workers_streams");
    ObjectDefineProperty(Crypto.prototype, "DigestStream", { __proto__: null, value: DigestStream, writable: true, configurable: true });
    return DigestStream;
  },
  set(value) {
    ObjectDefineProperty(Crypto.prototype, "DigestStream", { __proto__: null, value, writable: true, configurable: true });
  },
  configurable: true,
});
exposeInterface(SubtleCrypto, "SubtleCrypto", false);

const crypto = new Crypto(kConstruct);

module.exports = { crypto, Crypto, SubtleCrypto };
