// WebCrypto (https://w3c.github.io/webcrypto/): what SubtleCrypto's methods do, and CryptoKey.
// crypto.js (the `crypto` global, Crypto, SubtleCrypto) checks the receiver and calls the
// operations here, loading this module on the first call: a script that only looks for
// crypto.subtle, or calls crypto.randomUUID(), does not load it. This file has the methods'
// common steps; crypto/webidl.js the argument conversions,
// crypto/symmetric.js and crypto/asymmetric.js each algorithm's operations, on the natives of
// bindings/crypto*.cc. Methods do the work synchronously and answer a settled promise (as
// workerd does).
import {
  bufferSource, check, domError, keyData as convertKeyData, keyFormat, keyUsages as convertUsages,
  normalizeAlgorithm, requireArguments,
} from "./crypto/webidl.js";
import {
  CryptoKey, isCryptoKey, keyAlgorithm, keyExtractable, keyType, keyUsages,
} from "./crypto/key.js";
import { symmetricAlgorithms } from "./crypto/symmetric.js";
import { asymmetricAlgorithms } from "./crypto/asymmetric.js";

const { exposeInterface, registerInspect } = internal;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;

const ALGORITHMS = { __proto__: null, ...symmetricAlgorithms, ...asymmetricAlgorithms };

function implementation(name, op) {
  const algorithm = ALGORITHMS[name];
  if (algorithm === undefined || algorithm[op] === undefined) {
    throw domError(`${name} does not support ${op}`, "NotSupportedError");
  }
  return algorithm;
}

function requireKey(value, what) {
  if (!isCryptoKey(value)) throw new TypeError(`${what} is not a CryptoKey`);
  return value;
}

// "If the name member of normalizedAlgorithm is not equal to the name attribute of the
// [[algorithm]] internal slot of key, or its [[usages]] do not contain `usage`, throw an
// InvalidAccessError."
function checkKeyFor(normalized, key, usage) {
  if (normalized.name !== keyAlgorithm(key).name) {
    throw domError(`The key is for ${keyAlgorithm(key).name}, not ${normalized.name}`, "InvalidAccessError");
  }
  if (!keyUsages(key).includes(usage)) throw domError(`The key does not allow '${usage}'`, "InvalidAccessError");
}

// A secret or private key made with no usages is refused.
function checkResultUsages(result) {
  const key = isCryptoKey(result) ? result : result.privateKey;
  if ((keyType(key) === "secret" || keyType(key) === "private") && keyUsages(key).length === 0) {
    throw domError("A secret or private key needs at least one usage", "SyntaxError");
  }
  return result;
}

function importKeyFrom(format, keyData, normalized, extractable, usages) {
  const key = implementation(normalized.name, "importKey").importKey(format, keyData, normalized, extractable, usages);
  return checkResultUsages(key);
}

function exportKeyFrom(format, key) {
  const algorithm = implementation(keyAlgorithm(key).name, "exportKey");
  if (!keyExtractable(key)) throw domError("The key is not extractable", "InvalidAccessError");
  return algorithm.exportKey(format, key);
}

// normalize for "wrapKey"/"unwrapKey", else for "encrypt"/"decrypt" (AES-KW has its own).
function normalizeWrap(algorithm, op, fallback) {
  try {
    return { normalized: normalizeAlgorithm(algorithm, op), op };
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "NotSupportedError") throw error;
    return { normalized: normalizeAlgorithm(algorithm, fallback), op: fallback };
  }
}

// SubtleCrypto's methods, called by crypto.js with their arguments once it checked the receiver:
// its methods are async, so what these throw is the promise's rejection. Synchronous where the
// step has no await, so that the promise settles when it did before the split.
class SubtleOperations {

  encrypt(algorithm, key, data) {
    requireArguments(arguments.length, 3, "encrypt");
    const normalized = normalizeAlgorithm(algorithm, "encrypt");
    requireKey(key, "key");
    const bytes = bufferSource(data, "data");
    checkKeyFor(normalized, key, "encrypt");
    return implementation(normalized.name, "encrypt").encrypt(normalized, key, bytes);
  }

  decrypt(algorithm, key, data) {
    requireArguments(arguments.length, 3, "decrypt");
    const normalized = normalizeAlgorithm(algorithm, "decrypt");
    requireKey(key, "key");
    const bytes = bufferSource(data, "data");
    checkKeyFor(normalized, key, "decrypt");
    return implementation(normalized.name, "decrypt").decrypt(normalized, key, bytes);
  }

  sign(algorithm, key, data) {
    requireArguments(arguments.length, 3, "sign");
    const normalized = normalizeAlgorithm(algorithm, "sign");
    requireKey(key, "key");
    const bytes = bufferSource(data, "data");
    checkKeyFor(normalized, key, "sign");
    return implementation(normalized.name, "sign").sign(normalized, key, bytes);
  }

  verify(algorithm, key, signature, data) {
    requireArguments(arguments.length, 4, "verify");
    const normalized = normalizeAlgorithm(algorithm, "verify");
    requireKey(key, "key");
    const signatureBytes = bufferSource(signature, "signature");
    const bytes = bufferSource(data, "data");
    checkKeyFor(normalized, key, "verify");
    return implementation(normalized.name, "verify").verify(normalized, key, signatureBytes, bytes);
  }

  digest(algorithm, data) {
    requireArguments(arguments.length, 2, "digest");
    const normalized = normalizeAlgorithm(algorithm, "digest");
    const bytes = bufferSource(data, "data");
    return check(native.cryptoDigest(normalized.name, bytes));
  }

  // Cloudflare's extension (https://developers.cloudflare.com/workers/examples/protect-against-timing-attacks/):
  // compares two buffer sources of the same length (a TypeError otherwise) in time that does not
  // depend on their contents.
  timingSafeEqual(a, b) {
    requireArguments(arguments.length, 2, "timingSafeEqual");
    return native.cryptoTimingSafeEqual(bufferSource(a, "a"), bufferSource(b, "b"));
  }

  async generateKey(algorithm, extractable, keyUsages) {
    requireArguments(arguments.length, 3, "generateKey");
    const usages = convertUsages(keyUsages);
    const normalized = normalizeAlgorithm(algorithm, "generateKey");
    const result = await implementation(normalized.name, "generateKey").generateKey(normalized, !!extractable, usages);
    return checkResultUsages(result);
  }

  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    requireArguments(arguments.length, 5, "deriveKey");
    requireKey(baseKey, "baseKey");
    const usages = convertUsages(keyUsages);
    const normalized = normalizeAlgorithm(algorithm, "deriveBits");
    const importAlgorithm = normalizeAlgorithm(derivedKeyType, "importKey");
    const lengthAlgorithm = normalizeAlgorithm(derivedKeyType, "get key length");
    checkKeyFor(normalized, baseKey, "deriveKey");
    const length = implementation(lengthAlgorithm.name, "getKeyLength").getKeyLength(lengthAlgorithm);
    const secret = implementation(normalized.name, "deriveBits").deriveBits(normalized, baseKey, length);
    return importKeyFrom("raw", secret, importAlgorithm, !!extractable, usages);
  }

  deriveBits(algorithm, baseKey, length = null) {
    requireArguments(arguments.length, 2, "deriveBits");
    const normalized = normalizeAlgorithm(algorithm, "deriveBits");
    requireKey(baseKey, "baseKey");
    // optional unsigned long? length = null
    const bits = length === null || length === undefined ? null : (+length >>> 0);
    checkKeyFor(normalized, baseKey, "deriveBits");
    return implementation(normalized.name, "deriveBits").deriveBits(normalized, baseKey, bits);
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    requireArguments(arguments.length, 5, "importKey");
    const keyFormatValue = keyFormat(format);
    const usages = convertUsages(keyUsages);
    const normalized = normalizeAlgorithm(algorithm, "importKey");
    const data = convertKeyData(keyFormatValue, keyData);
    return importKeyFrom(keyFormatValue, data, normalized, !!extractable, usages);
  }

  exportKey(format, key) {
    requireArguments(arguments.length, 2, "exportKey");
    const keyFormatValue = keyFormat(format);
    requireKey(key, "key");
    return exportKeyFrom(keyFormatValue, key);
  }

  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    requireArguments(arguments.length, 4, "wrapKey");
    const keyFormatValue = keyFormat(format);
    requireKey(key, "key");
    requireKey(wrappingKey, "wrappingKey");
    const { normalized, op } = normalizeWrap(wrapAlgorithm, "wrapKey", "encrypt");
    checkKeyFor(normalized, wrappingKey, "wrapKey");
    let bytes = exportKeyFrom(keyFormatValue, key);
    if (keyFormatValue === "jwk") bytes = native.utf8Encode(JSONStringify(bytes)).buffer;
    return implementation(normalized.name, op)[op](normalized, wrappingKey, bytes);
  }

  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    requireArguments(arguments.length, 7, "unwrapKey");
    const keyFormatValue = keyFormat(format);
    const wrapped = bufferSource(wrappedKey, "wrappedKey");
    requireKey(unwrappingKey, "unwrappingKey");
    const usages = convertUsages(keyUsages);
    const { normalized, op } = normalizeWrap(unwrapAlgorithm, "unwrapKey", "decrypt");
    const importAlgorithm = normalizeAlgorithm(unwrappedKeyAlgorithm, "importKey");
    checkKeyFor(normalized, unwrappingKey, "unwrapKey");
    const bytes = implementation(normalized.name, op)[op](normalized, unwrappingKey, wrapped);
    let data = bytes;
    if (keyFormatValue === "jwk") {
      let parsed;
      try {
        parsed = JSONParse(native.utf8Decode(bytes));
      } catch {
        throw domError("The unwrapped key is not JSON", "DataError");
      }
      data = convertKeyData("jwk", parsed);
    }
    return importKeyFrom(keyFormatValue, data, importAlgorithm, !!extractable, usages);
  }
}

exposeInterface(CryptoKey, "CryptoKey", false);
registerInspect(CryptoKey, (key) => ({
  type: key.type, extractable: key.extractable, algorithm: key.algorithm, usages: key.usages,
}));

const operations = new SubtleOperations();

// A digest algorithm's normalized name (DigestStream).
function normalizeDigest(algorithm) {
  return normalizeAlgorithm(algorithm, "digest").name;
}

export { operations, CryptoKey, normalizeDigest };
