// Web IDL conversions for SubtleCrypto's arguments, and algorithm normalization
// (https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm).
import { isCryptoKey } from "./key.js";

const { DOMException } = internal.require("dom_exception");
const { ArrayBufferByteLength, StringPrototypeCharCodeAt } = internal.primordials;
const NumberIsFinite = Number.isFinite;
const MathTrunc = Math.trunc;
const SymbolIterator = Symbol.iterator;
const StringFromCharCode = String.fromCharCode;

export function domError(message, name) {
  return new DOMException(message, name);
}

// A native's answer: a string is the message of a failure, thrown as DOMException `name`.
export function check(result, name = "OperationError") {
  if (typeof result === "string") throw new DOMException(result, name);
  return result;
}

export function requireArguments(count, required, method) {
  if (count < required) {
    throw new TypeError(`SubtleCrypto.${method}: ${required} arguments required, but only ${count} present`);
  }
}

// A copy of a BufferSource's bytes, as an ArrayBuffer.
export function bufferSource(value, what) {
  const copy = native.cryptoCopy(value);
  if (copy === null) throw new TypeError(`${what} is not an ArrayBuffer or ArrayBufferView`);
  return copy;
}

export const byteLength = ArrayBufferByteLength;

export function toDOMString(value) {
  return `${value}`;
}

// [EnforceRange] integer types.
function enforceRange(value, max, what) {
  const x = +value;
  if (!NumberIsFinite(x)) throw new TypeError(`${what} is not a finite number`);
  const i = MathTrunc(x);
  if (i < 0 || i > max) throw new TypeError(`${what} is out of range`);
  return i + 0;
}

// ASCII upper case (algorithm names match ASCII case-insensitively, never through Unicode case
// mapping: "ſha-1" is not "SHA-1").
function asciiUpper(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    out += StringFromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return out;
}

const KEY_USAGES = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];

// sequence<KeyUsage>, deduplicated, in the enum's order.
export function keyUsages(value) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    throw new TypeError("keyUsages is not a sequence");
  }
  if (typeof value[SymbolIterator] !== "function") throw new TypeError("keyUsages is not a sequence");
  const seen = { __proto__: null };
  for (const item of value) {
    const usage = toDOMString(item);
    if (!KEY_USAGES.includes(usage)) throw new TypeError(`'${usage}' is not a valid KeyUsage`);
    seen[usage] = true;
  }
  return KEY_USAGES.filter((usage) => seen[usage]);
}

const KEY_FORMATS = ["raw", "spki", "pkcs8", "jwk"];
export function keyFormat(value) {
  const format = toDOMString(value);
  if (!KEY_FORMATS.includes(format)) throw new TypeError(`'${format}' is not a valid KeyFormat`);
  return format;
}

// Member converters, by IDL type.
const CONVERT = {
  BufferSource: (v, what) => bufferSource(v, what),
  octet: (v, what) => enforceRange(v, 0xff, what),
  "unsigned short": (v, what) => enforceRange(v, 0xffff, what),
  "unsigned long": (v, what) => enforceRange(v, 0xffffffff, what),
  DOMString: (v) => toDOMString(v),
  // HashAlgorithmIdentifier: (object or DOMString), normalized for "digest" afterwards.
  Hash: (v, what) => {
    if (typeof v !== "object" && typeof v !== "function") return toDOMString(v);
    return v;
  },
  // BigInteger is a Uint8Array.
  BigInteger: (v, what) => {
    if (!(v instanceof Uint8Array)) throw new TypeError(`${what} is not a Uint8Array`);
    return new Uint8Array(bufferSource(v, what));
  },
  CryptoKey: (v, what) => {
    if (!isCryptoKey(v)) throw new TypeError(`${what} is not a CryptoKey`);
    return v;
  },
};

// Dictionary members [name, type, required], inherited from Algorithm (name), in lexicographic order.
const DICTIONARIES = {
  AesCbcParams: [["iv", "BufferSource", true]],
  AesCtrParams: [["counter", "BufferSource", true], ["length", "octet", true]],
  AesGcmParams: [["additionalData", "BufferSource", false], ["iv", "BufferSource", true], ["tagLength", "octet", false]],
  AesKeyGenParams: [["length", "unsigned short", true]],
  AesDerivedKeyParams: [["length", "unsigned short", true]],
  HmacKeyGenParams: [["hash", "Hash", true], ["length", "unsigned long", false]],
  HmacImportParams: [["hash", "Hash", true], ["length", "unsigned long", false]],
  EcKeyGenParams: [["namedCurve", "DOMString", true]],
  EcKeyImportParams: [["namedCurve", "DOMString", true]],
  EcdsaParams: [["hash", "Hash", true]],
  EcdhKeyDeriveParams: [["public", "CryptoKey", true]],
  RsaHashedKeyGenParams: [["hash", "Hash", true], ["modulusLength", "unsigned long", true], ["publicExponent", "BigInteger", true]],
  RsaHashedImportParams: [["hash", "Hash", true]],
  RsaPssParams: [["saltLength", "unsigned long", true]],
  RsaOaepParams: [["label", "BufferSource", false]],
  Pbkdf2Params: [["hash", "Hash", true], ["iterations", "unsigned long", true], ["salt", "BufferSource", true]],
  HkdfParams: [["hash", "Hash", true], ["info", "BufferSource", true], ["salt", "BufferSource", true]],
};

const RSA = ["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"];
const AES = ["AES-CTR", "AES-CBC", "AES-GCM", "AES-KW"];

function table(entries) {
  const byUpper = { __proto__: null };
  for (const [names, dictionary] of entries) {
    for (const name of typeof names === "string" ? [names] : names) byUpper[asciiUpper(name)] = { name, dictionary };
  }
  return byUpper;
}

// https://w3c.github.io/webcrypto/#dfn-supportedAlgorithms: operation -> algorithm -> the
// dictionary its parameters are converted to (null: just Algorithm).
const SUPPORTED = {
  // MD5 is Cloudflare's extension for digest() alone (never a hash member: "hash" below).
  digest: table([[["SHA-1", "SHA-256", "SHA-384", "SHA-512", "MD5"], null]]),
  hash: table([[["SHA-1", "SHA-256", "SHA-384", "SHA-512"], null]]),
  generateKey: table([
    [RSA, "RsaHashedKeyGenParams"], [["ECDSA", "ECDH"], "EcKeyGenParams"], [["Ed25519", "X25519"], null],
    [AES, "AesKeyGenParams"], ["HMAC", "HmacKeyGenParams"],
  ]),
  importKey: table([
    [RSA, "RsaHashedImportParams"], [["ECDSA", "ECDH"], "EcKeyImportParams"], [["Ed25519", "X25519"], null],
    [AES, null], ["HMAC", "HmacImportParams"], [["PBKDF2", "HKDF"], null],
  ]),
  sign: table([
    ["RSASSA-PKCS1-v1_5", null], ["RSA-PSS", "RsaPssParams"], ["ECDSA", "EcdsaParams"], ["Ed25519", null], ["HMAC", null],
  ]),
  encrypt: table([
    ["RSA-OAEP", "RsaOaepParams"], ["AES-CTR", "AesCtrParams"], ["AES-CBC", "AesCbcParams"], ["AES-GCM", "AesGcmParams"],
  ]),
  deriveBits: table([[["ECDH", "X25519"], "EcdhKeyDeriveParams"], ["HKDF", "HkdfParams"], ["PBKDF2", "Pbkdf2Params"]]),
  "get key length": table([[AES, "AesDerivedKeyParams"], ["HMAC", "HmacImportParams"], [["HKDF", "PBKDF2"], null]]),
  wrapKey: table([["AES-KW", null]]),
};
SUPPORTED.verify = SUPPORTED.sign;
SUPPORTED.decrypt = SUPPORTED.encrypt;
SUPPORTED.unwrapKey = SUPPORTED.wrapKey;

// normalize an algorithm: -> a null-prototype record { name, ...members } (BufferSource members
// copied to ArrayBuffers, hash members normalized to { name }).
export function normalizeAlgorithm(algorithm, op) {
  if (typeof algorithm === "string") return normalizeAlgorithm({ name: algorithm }, op);
  if (algorithm === undefined || algorithm === null) throw new TypeError("Algorithm: name is required");
  if (typeof algorithm !== "object" && typeof algorithm !== "function") {
    throw new TypeError("Algorithm must be an object or a string");
  }
  const nameValue = algorithm.name;
  if (nameValue === undefined) throw new TypeError("Algorithm: name is required");
  const name = toDOMString(nameValue);
  const entry = SUPPORTED[op][asciiUpper(name)];
  if (entry === undefined) throw new DOMException(`Unrecognized algorithm name '${name}' for ${op}`, "NotSupportedError");
  const normalized = { __proto__: null, name: entry.name };
  if (entry.dictionary === null) return normalized;
  const members = DICTIONARIES[entry.dictionary];
  for (const [member, type, required] of members) {
    const value = algorithm[member];
    if (value === undefined) {
      if (required) throw new TypeError(`${entry.dictionary}: ${member} is required`);
      continue;
    }
    normalized[member] = CONVERT[type](value, `${entry.dictionary}.${member}`);
  }
  for (const [member, type] of members) {
    if (type === "Hash" && normalized[member] !== undefined) {
      normalized[member] = normalizeAlgorithm(normalized[member], "hash");
    }
  }
  return normalized;
}

// JsonWebKey (https://w3c.github.io/webcrypto/#JsonWebKey-dictionary) -> a null-prototype record.
const JWK_STRINGS = ["alg", "crv", "d", "dp", "dq", "e", "k", "kty", "n", "p", "q", "qi", "use", "x", "y"];
export function jsonWebKey(value) {
  if (value === undefined || value === null) value = {};
  if (typeof value !== "object" && typeof value !== "function") throw new TypeError("keyData is not a JsonWebKey");
  const jwk = { __proto__: null };
  for (const member of ["alg", "crv", "d", "dp", "dq", "e", "ext", "k", "key_ops", "kty", "n", "oth", "p", "q", "qi", "use", "x", "y"]) {
    const v = value[member];
    if (v === undefined) continue;
    if (member === "ext") jwk.ext = !!v;
    else if (member === "key_ops") {
      const ops = [];
      if (v === null || typeof v !== "object" || typeof v[SymbolIterator] !== "function") {
        throw new TypeError("JsonWebKey.key_ops is not a sequence");
      }
      for (const op of v) ops.push(toDOMString(op));
      jwk.key_ops = ops;
    } else if (member === "oth") {
      jwk.oth = v;
    } else if (JWK_STRINGS.includes(member)) {
      jwk[member] = toDOMString(v);
    }
  }
  return jwk;
}

// The union (BufferSource or JsonWebKey) of importKey's keyData, checked against `format`.
export function keyData(format, value) {
  const isBuffer = native.cryptoCopy(value);
  if (format === "jwk") {
    if (isBuffer !== null) throw new TypeError("keyData for 'jwk' must be a JsonWebKey");
    return jsonWebKey(value);
  }
  if (isBuffer === null) throw new TypeError(`keyData for '${format}' must be a BufferSource`);
  return isBuffer;
}
