// Public-key algorithms: ECDSA and ECDH (https://w3c.github.io/webcrypto/#ecdsa, #ecdh),
// Ed25519 and X25519 (#ed25519, #x25519), RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP
// (#rsassa-pkcs1, #rsa-pss, #rsa-oaep).
import { check, domError } from "./webidl.js";
import { keyAlgorithm, keyType, newKey } from "./key.js";
import {
  base64url, checkJwk, checkUsages, handle, intersect, jwkBytes, jwkObject, requireType, truncateBits,
} from "./common.js";

const CURVES = ["P-256", "P-384", "P-521"];
const EC_JWK_ALG = { __proto__: null, "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };

// Which usages a key of each type may have: { public, private, all, use (JWK) }.
const SIGN_USAGES = { public: ["verify"], private: ["sign"], all: ["sign", "verify"], use: "sig" };
const DERIVE_USAGES = { public: [], private: ["deriveKey", "deriveBits"], all: ["deriveKey", "deriveBits"], use: "enc" };
const OAEP_USAGES = {
  public: ["encrypt", "wrapKey"], private: ["decrypt", "unwrapKey"], all: ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
  use: "enc",
};

// A key pair from native.cryptoKeyGenerate's [private, public].
function keyPair(pair, algorithm, extractable, usages, allowed) {
  const [privateHandle, publicHandle] = check(pair);
  return {
    publicKey: newKey("public", true, algorithm, intersect(usages, allowed.public), publicHandle),
    privateKey: newKey("private", extractable, algorithm, intersect(usages, allowed.private), privateHandle),
  };
}

// Import shared by every key type; `kind` is cryptoKeyInfo's, `fromJwk(jwk)` -> a handle.
function importAsymmetric(format, keyData, extractable, usages, allowed, kind, options) {
  let type, keyHandle;
  if (format === "spki" || format === "pkcs8" || (format === "raw" && options.raw)) {
    type = format === "pkcs8" ? "private" : "public";
    checkUsages(usages, allowed[type]);
    keyHandle = check(native.cryptoKeyImport(format, kind, keyData, options.curve || ""), "DataError");
  } else if (format === "jwk") {
    type = keyData.d !== undefined ? "private" : "public";
    checkUsages(usages, allowed[type]);
    checkJwk(keyData, options.kty, extractable, usages, allowed.use);
    keyHandle = check(options.fromJwk(keyData), "DataError");
  } else {
    throw domError(`Unsupported key format '${format}' for this algorithm`, "NotSupportedError");
  }
  const info = native.cryptoKeyInfo(keyHandle);
  if (info[0] !== kind) throw domError(`The key is not a${kind === "EC" ? "n" : ""} ${kind} key`, "DataError");
  if (options.curve !== undefined && info[2] !== options.curve) {
    throw domError(`The key is not on curve ${options.curve}`, "DataError");
  }
  return { type, keyHandle, info };
}

function exportAsymmetric(format, key, rawAllowed, jwkMembers) {
  const type = keyType(key);
  if (format === "spki" || (format === "raw" && rawAllowed)) {
    requireType(key, "public");
    return check(native.cryptoKeyExport(handle(key), format));
  }
  if (format === "pkcs8") {
    requireType(key, "private");
    return check(native.cryptoKeyExport(handle(key), format));
  }
  if (format === "jwk") {
    const parts = check(native.cryptoKeyExportJwk(handle(key)));
    return jwkObject(jwkMembers(parts.map((part) => base64url(part)), type), key);
  }
  throw domError(`Unsupported key format '${format}' for this algorithm`, "NotSupportedError");
}

// Key agreement (ECDH, X25519): the shared secret, cut to `length` bits when not null.
function deriveShared(alg, key, length, checkPeer) {
  requireType(key, "private");
  const peer = alg.public;
  if (keyType(peer) !== "public") throw domError("'public' is not a public key", "InvalidAccessError");
  if (keyAlgorithm(peer).name !== keyAlgorithm(key).name) {
    throw domError("'public' is not a key of the same algorithm", "InvalidAccessError");
  }
  checkPeer(peer);
  return truncateBits(check(native.cryptoDerive(handle(key), handle(peer))), length);
}

function ec(name, allowed) {
  return {
    generateKey(alg, extractable, usages) {
      checkUsages(usages, allowed.all);
      if (!CURVES.includes(alg.namedCurve)) throw domError(`Unsupported curve '${alg.namedCurve}'`, "NotSupportedError");
      const algorithm = { name, namedCurve: alg.namedCurve };
      return keyPair(native.cryptoKeyGenerate("EC", alg.namedCurve), algorithm, extractable, usages, allowed);
    },
    importKey(format, keyData, alg, extractable, usages) {
      const curve = alg.namedCurve;
      if (!CURVES.includes(curve)) throw domError(`Unsupported curve '${curve}'`, "NotSupportedError");
      const { type, keyHandle } = importAsymmetric(format, keyData, extractable, usages, allowed, "EC", {
        raw: true, curve, kty: "EC",
        fromJwk(jwk) {
          if (jwk.crv !== curve) throw domError(`JWK 'crv' must be '${curve}'`, "DataError");
          if (name === "ECDSA" && jwk.alg !== undefined && jwk.alg !== EC_JWK_ALG[curve]) {
            throw domError(`JWK 'alg' must be '${EC_JWK_ALG[curve]}'`, "DataError");
          }
          const parts = [jwkBytes(jwk, "x"), jwkBytes(jwk, "y"), jwkBytes(jwk, "d", false)];
          return native.cryptoKeyImportJwk("EC", curve, parts);
        },
      });
      return newKey(type, extractable, { name, namedCurve: curve }, usages, keyHandle);
    },
    exportKey(format, key) {
      const crv = keyAlgorithm(key).namedCurve;
      return exportAsymmetric(format, key, true, ([x, y, d]) => ({ kty: "EC", crv, x, y, d }));
    },
  };
}

function okp(name, allowed) {
  return {
    generateKey(alg, extractable, usages) {
      checkUsages(usages, allowed.all);
      return keyPair(native.cryptoKeyGenerate(name), { name }, extractable, usages, allowed);
    },
    importKey(format, keyData, alg, extractable, usages) {
      const { type, keyHandle } = importAsymmetric(format, keyData, extractable, usages, allowed, name, {
        raw: true, kty: "OKP",
        fromJwk(jwk) {
          if (jwk.crv !== name) throw domError(`JWK 'crv' must be '${name}'`, "DataError");
          if (name === "Ed25519" && jwk.alg !== undefined && jwk.alg !== "EdDSA" && jwk.alg !== "Ed25519") {
            throw domError("JWK 'alg' must be 'EdDSA' or 'Ed25519'", "DataError");
          }
          return native.cryptoKeyImportJwk(name, "", [jwkBytes(jwk, "x"), jwkBytes(jwk, "d", false)]);
        },
      });
      return newKey(type, extractable, { name }, usages, keyHandle);
    },
    exportKey(format, key) {
      return exportAsymmetric(format, key, true, ([x, d]) => ({ kty: "OKP", crv: name, x, d }));
    },
  };
}

const RSA_JWK_ALG = {
  "RSASSA-PKCS1-v1_5": { __proto__: null, "SHA-1": "RS1", "SHA-256": "RS256", "SHA-384": "RS384", "SHA-512": "RS512" },
  "RSA-PSS": { __proto__: null, "SHA-1": "PS1", "SHA-256": "PS256", "SHA-384": "PS384", "SHA-512": "PS512" },
  "RSA-OAEP": {
    __proto__: null, "SHA-1": "RSA-OAEP", "SHA-256": "RSA-OAEP-256", "SHA-384": "RSA-OAEP-384", "SHA-512": "RSA-OAEP-512",
  },
};
const RSA_JWK_MEMBERS = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];

function rsa(name, allowed, operations) {
  const jwkAlg = RSA_JWK_ALG[name];
  const algorithmOf = (info, hash) => ({
    name, modulusLength: info[2], publicExponent: new Uint8Array(info[3]), hash: { name: hash },
  });
  return {
    async generateKey(alg, extractable, usages) {
      checkUsages(usages, allowed.all);
      // Seconds of work for 4096 bits: made off the event loop's thread.
      const pair = await native.cryptoRsaGenerate(alg.modulusLength, alg.publicExponent);
      const algorithm = {
        name, modulusLength: alg.modulusLength, publicExponent: new Uint8Array(alg.publicExponent),
        hash: { name: alg.hash.name },
      };
      return keyPair(pair, algorithm, extractable, usages, allowed);
    },
    importKey(format, keyData, alg, extractable, usages) {
      const { type, keyHandle, info } = importAsymmetric(format, keyData, extractable, usages, allowed, "RSA", {
        raw: false, kty: "RSA",
        fromJwk(jwk) {
          if (jwk.alg !== undefined && jwk.alg !== jwkAlg[alg.hash.name]) {
            throw domError(`JWK 'alg' must be '${jwkAlg[alg.hash.name]}'`, "DataError");
          }
          if (jwk.oth !== undefined) throw domError("JWK 'oth' (multi-prime RSA) is not supported", "NotSupportedError");
          const members = jwk.d === undefined ? ["n", "e"] : RSA_JWK_MEMBERS;
          return native.cryptoKeyImportJwk("RSA", "", members.map((member) => jwkBytes(jwk, member)));
        },
      });
      return newKey(type, extractable, algorithmOf(info, alg.hash.name), usages, keyHandle);
    },
    exportKey(format, key) {
      const alg = jwkAlg[keyAlgorithm(key).hash.name];
      return exportAsymmetric(format, key, false, (parts) => {
        const members = { kty: "RSA", alg };
        for (let i = 0; i < parts.length; i++) members[RSA_JWK_MEMBERS[i]] = parts[i];
        return members;
      });
    },
    ...operations,
  };
}

function signer(name, saltLength) {
  return {
    sign(alg, key, data) {
      requireType(key, "private");
      const hash = alg.hash ? alg.hash.name : keyAlgorithm(key).hash?.name ?? "";
      return check(native.cryptoSign(name, hash, handle(key), data, saltLength(alg)));
    },
    verify(alg, key, signature, data) {
      requireType(key, "public");
      const hash = alg.hash ? alg.hash.name : keyAlgorithm(key).hash?.name ?? "";
      return native.cryptoVerify(name, hash, handle(key), data, signature, saltLength(alg));
    },
  };
}
const noSalt = () => 0;

function oaep(encrypt, alg, key, data) {
  requireType(key, encrypt ? "public" : "private");
  const label = alg.label === undefined ? new ArrayBuffer(0) : alg.label;
  return check(native.cryptoRsaOaep(encrypt, keyAlgorithm(key).hash.name, handle(key), data, label));
}

export const asymmetricAlgorithms = {
  ECDSA: { ...ec("ECDSA", SIGN_USAGES), ...signer("ECDSA", noSalt) },
  ECDH: {
    ...ec("ECDH", DERIVE_USAGES),
    deriveBits: (alg, key, length) => deriveShared(alg, key, length, (peer) => {
      if (keyAlgorithm(peer).namedCurve !== keyAlgorithm(key).namedCurve) {
        throw domError("'public' is on another curve", "InvalidAccessError");
      }
    }),
  },
  Ed25519: { ...okp("Ed25519", SIGN_USAGES), ...signer("Ed25519", noSalt) },
  X25519: { ...okp("X25519", DERIVE_USAGES), deriveBits: (alg, key, length) => deriveShared(alg, key, length, () => {}) },
  "RSASSA-PKCS1-v1_5": rsa("RSASSA-PKCS1-v1_5", SIGN_USAGES, signer("RSASSA-PKCS1-v1_5", noSalt)),
  "RSA-PSS": rsa("RSA-PSS", SIGN_USAGES, signer("RSA-PSS", (alg) => alg.saltLength)),
  "RSA-OAEP": rsa("RSA-OAEP", OAEP_USAGES, {
    encrypt: (alg, key, data) => oaep(true, alg, key, data),
    decrypt: (alg, key, data) => oaep(false, alg, key, data),
  }),
};
