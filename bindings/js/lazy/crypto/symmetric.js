// Secret-key algorithms: HMAC (https://w3c.github.io/webcrypto/#hmac), AES-CTR, AES-CBC,
// AES-GCM, AES-KW (#aes-ctr ... #aes-kw), PBKDF2 (#pbkdf2) and HKDF (#hkdf).
import { byteLength, check, domError } from "./webidl.js";
import { keyAlgorithm, newKey } from "./key.js";
import { base64url, checkJwk, checkUsages, handle, jwkBytes, jwkObject } from "./common.js";

const HASH_BLOCK_BITS = { __proto__: null, "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const HMAC_JWK_ALG = { __proto__: null, "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };

function exportSecret(format, key, jwkAlg) {
  const raw = check(native.cryptoKeyExport(handle(key), "raw"));
  if (format === "raw") return raw;
  if (format === "jwk") return jwkObject({ kty: "oct", k: base64url(raw), alg: jwkAlg }, key);
  throw domError(`${keyAlgorithm(key).name} keys cannot be exported as '${format}'`, "NotSupportedError");
}

// The bytes of a secret key from 'raw' or an 'oct' JWK.
function secretBytes(format, keyData, extractable, usages, jwkAlgFor) {
  if (format === "raw") return keyData;
  if (format === "jwk") {
    checkJwk(keyData, "oct", extractable, usages, jwkAlgFor.use);
    const bytes = jwkBytes(keyData, "k");
    const alg = jwkAlgFor(byteLength(bytes) * 8);
    if (keyData.alg !== undefined && keyData.alg !== alg) throw domError(`JWK 'alg' must be '${alg}'`, "DataError");
    return bytes;
  }
  throw domError(`Unsupported key format '${format}' for this algorithm`, "NotSupportedError");
}

const HMAC = {
  generateKey(alg, extractable, usages) {
    checkUsages(usages, ["sign", "verify"]);
    let length = HASH_BLOCK_BITS[alg.hash.name];
    if (alg.length !== undefined) {
      if (alg.length === 0) throw domError("HMAC: length must not be zero", "OperationError");
      length = alg.length;
    }
    const algorithm = { name: "HMAC", length, hash: { name: alg.hash.name } };
    return newKey("secret", extractable, algorithm, usages, native.cryptoSecretGenerate(Math.ceil(length / 8)));
  },
  importKey(format, keyData, alg, extractable, usages) {
    checkUsages(usages, ["sign", "verify"]);
    const jwkAlg = () => HMAC_JWK_ALG[alg.hash.name];
    jwkAlg.use = "sig";
    const bytes = secretBytes(format, keyData, extractable, usages, jwkAlg);
    let length = byteLength(bytes) * 8;
    if (length === 0) throw domError("HMAC: the key is empty", "DataError");
    if (alg.length !== undefined) {
      if (alg.length > length || alg.length <= length - 8) {
        throw domError("HMAC: length does not match the key data", "DataError");
      }
      length = alg.length;
    }
    const algorithm = { name: "HMAC", length, hash: { name: alg.hash.name } };
    return newKey("secret", extractable, algorithm, usages, native.cryptoSecretImport(bytes));
  },
  exportKey(format, key) {
    return exportSecret(format, key, HMAC_JWK_ALG[keyAlgorithm(key).hash.name]);
  },
  sign(alg, key, data) {
    return check(native.cryptoHmac(keyAlgorithm(key).hash.name, handle(key), data));
  },
  verify(alg, key, signature, data) {
    return native.cryptoHmacVerify(keyAlgorithm(key).hash.name, handle(key), data, signature);
  },
  getKeyLength(alg) {
    if (alg.length === undefined) return HASH_BLOCK_BITS[alg.hash.name];
    if (alg.length === 0) throw new TypeError("HMAC: length must not be zero");
    return alg.length;
  },
};

function aes(name, suffix, allowed, operations) {
  return {
    generateKey(alg, extractable, usages) {
      checkUsages(usages, allowed);
      if (alg.length !== 128 && alg.length !== 192 && alg.length !== 256) {
        throw domError(`${name}: length must be 128, 192 or 256`, "OperationError");
      }
      return newKey("secret", extractable, { name, length: alg.length }, usages, native.cryptoSecretGenerate(alg.length / 8));
    },
    importKey(format, keyData, alg, extractable, usages) {
      checkUsages(usages, allowed);
      const jwkAlg = (bits) => `A${bits}${suffix}`;
      jwkAlg.use = "enc";
      const bytes = secretBytes(format, keyData, extractable, usages, jwkAlg);
      const length = byteLength(bytes) * 8;
      if (length !== 128 && length !== 192 && length !== 256) {
        throw domError(`${name}: the key must be 128, 192 or 256 bits`, "DataError");
      }
      return newKey("secret", extractable, { name, length }, usages, native.cryptoSecretImport(bytes));
    },
    exportKey(format, key) {
      return exportSecret(format, key, `A${keyAlgorithm(key).length}${suffix}`);
    },
    getKeyLength(alg) {
      if (alg.length !== 128 && alg.length !== 192 && alg.length !== 256) {
        throw domError(`${name}: length must be 128, 192 or 256`, "OperationError");
      }
      return alg.length;
    },
    ...operations,
  };
}

const ENCRYPT_USAGES = ["encrypt", "decrypt", "wrapKey", "unwrapKey"];

function aesCbc(encrypt, alg, key, data) {
  if (byteLength(alg.iv) !== 16) throw domError("AES-CBC: iv must be 16 bytes", "OperationError");
  return check(native.cryptoAesCbc(encrypt, handle(key), alg.iv, data));
}

function aesCtr(alg, key, data) {
  if (byteLength(alg.counter) !== 16) throw domError("AES-CTR: counter must be 16 bytes", "OperationError");
  if (alg.length === 0 || alg.length > 128) throw domError("AES-CTR: length must be 1 to 128", "OperationError");
  return check(native.cryptoAesCtr(handle(key), alg.counter, alg.length, data));
}

const GCM_TAG_LENGTHS = [32, 64, 96, 104, 112, 120, 128];
function aesGcm(encrypt, alg, key, data) {
  const tagLength = alg.tagLength === undefined ? 128 : alg.tagLength;
  if (!GCM_TAG_LENGTHS.includes(tagLength)) throw domError("AES-GCM: invalid tagLength", "OperationError");
  if (byteLength(alg.iv) === 0) throw domError("AES-GCM: iv must not be empty", "OperationError");
  if (!encrypt && byteLength(data) < tagLength / 8) throw domError("AES-GCM: data is shorter than the tag", "OperationError");
  const additional = alg.additionalData === undefined ? new ArrayBuffer(0) : alg.additionalData;
  return check(native.cryptoAesGcm(encrypt, handle(key), alg.iv, data, additional, tagLength / 8));
}

// PBKDF2 and HKDF keys: 'raw' import only, never extractable, no export.
function kdf(name, deriveBits) {
  return {
    importKey(format, keyData, alg, extractable, usages) {
      if (format !== "raw") throw domError(`${name} keys can only be imported as 'raw'`, "NotSupportedError");
      checkUsages(usages, ["deriveKey", "deriveBits"]);
      if (extractable) throw domError(`${name} keys cannot be extractable`, "SyntaxError");
      return newKey("secret", false, { name }, usages, native.cryptoSecretImport(keyData));
    },
    getKeyLength() {
      return null;
    },
    deriveBits(alg, key, length) {
      if (length === null || length % 8 !== 0) {
        throw domError(`${name}: length must be a multiple of 8`, "OperationError");
      }
      return deriveBits(alg, key, length);
    },
  };
}

// PBKDF2 runs in one call the CPU limit cannot interrupt: iterations are capped (as on Workers).
const MAX_PBKDF2_ITERATIONS = 100000;

export const symmetricAlgorithms = {
  HMAC,
  "AES-CTR": aes("AES-CTR", "CTR", ENCRYPT_USAGES, {
    encrypt: (alg, key, data) => aesCtr(alg, key, data),
    decrypt: (alg, key, data) => aesCtr(alg, key, data),
  }),
  "AES-CBC": aes("AES-CBC", "CBC", ENCRYPT_USAGES, {
    encrypt: (alg, key, data) => aesCbc(true, alg, key, data),
    decrypt: (alg, key, data) => aesCbc(false, alg, key, data),
  }),
  "AES-GCM": aes("AES-GCM", "GCM", ENCRYPT_USAGES, {
    encrypt: (alg, key, data) => aesGcm(true, alg, key, data),
    decrypt: (alg, key, data) => aesGcm(false, alg, key, data),
  }),
  "AES-KW": aes("AES-KW", "KW", ["wrapKey", "unwrapKey"], {
    wrapKey: (alg, key, data) => check(native.cryptoAesKw(true, handle(key), data)),
    unwrapKey: (alg, key, data) => check(native.cryptoAesKw(false, handle(key), data)),
  }),
  PBKDF2: kdf("PBKDF2", (alg, key, length) => {
    if (alg.iterations === 0) throw domError("PBKDF2: iterations must not be zero", "OperationError");
    if (alg.iterations > MAX_PBKDF2_ITERATIONS) {
      throw domError(`PBKDF2: iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported`, "NotSupportedError");
    }
    if (length === 0) return new ArrayBuffer(0);
    return check(native.cryptoPbkdf2(alg.hash.name, handle(key), alg.salt, alg.iterations, length / 8));
  }),
  HKDF: kdf("HKDF", (alg, key, length) => {
    if (length === 0) return new ArrayBuffer(0);
    return check(native.cryptoHkdf(alg.hash.name, handle(key), alg.salt, alg.info, length / 8));
  }),
};
