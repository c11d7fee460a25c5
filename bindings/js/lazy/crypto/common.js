// Steps shared by the algorithms: usage checks, JWK checks and encoding, key creation from a
// native handle.
import { domError } from "./webidl.js";
import { keyHandle, keyType, keyUsages as usagesOf } from "./key.js";

// "If usages contains an entry which is not one of `allowed`, then throw a SyntaxError."
export function checkUsages(usages, allowed) {
  for (const usage of usages) {
    if (!allowed.includes(usage)) throw domError(`Unsupported key usage '${usage}' for this key`, "SyntaxError");
  }
}

// The usage intersection of `usages` and `allowed`, in `usages`' order.
export function intersect(usages, allowed) {
  return usages.filter((usage) => allowed.includes(usage));
}

export function base64url(buffer) {
  return native.cryptoBase64urlEncode(buffer);
}

// A JWK member's bytes; DataError if absent (when required) or not base64url.
export function jwkBytes(jwk, member, required = true) {
  const text = jwk[member];
  if (text === undefined) {
    if (required) throw domError(`JWK member '${member}' is missing`, "DataError");
    return undefined;
  }
  const bytes = native.cryptoBase64urlDecode(text);
  if (bytes === null) throw domError(`JWK member '${member}' is not base64url`, "DataError");
  return bytes;
}

// The checks every JWK import does: kty, use (when usages is not empty), key_ops, ext.
export function checkJwk(jwk, kty, extractable, usages, use) {
  if (jwk.kty !== kty) throw domError(`JWK 'kty' must be '${kty}'`, "DataError");
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
    throw domError(`JWK 'use' must be '${use}'`, "DataError");
  }
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops;
    for (let i = 0; i < ops.length; i++) {
      if (ops.indexOf(ops[i]) !== i) throw domError("JWK 'key_ops' has duplicates", "DataError");
    }
    for (const usage of usages) {
      if (!ops.includes(usage)) throw domError(`JWK 'key_ops' does not allow '${usage}'`, "DataError");
    }
  }
  if (jwk.ext === false && extractable) throw domError("JWK 'ext' is false but the key is extractable", "DataError");
}

// An exported JWK: the JsonWebKey dictionary's members, in its (lexicographic) order.
export function jwkObject(members, key) {
  members.key_ops = [...usagesOf(key)];
  members.ext = true;
  const out = {};
  for (const name of Object.keys(members).sort()) {
    if (members[name] !== undefined) out[name] = members[name];
  }
  return out;
}

export function requireType(key, type) {
  if (keyType(key) !== type) throw domError(`The key is not a ${type} key`, "InvalidAccessError");
}

export function handle(key) {
  return keyHandle(key);
}

// The first `length` bits of `secret` (ArrayBuffer); OperationError if it has fewer.
export function truncateBits(secret, length) {
  if (length === null) return secret;
  const bytes = new Uint8Array(secret);
  if (length > bytes.length * 8) throw domError("length is more than the secret has", "OperationError");
  const out = bytes.slice(0, Math.ceil(length / 8));
  if (length % 8 !== 0) out[out.length - 1] &= 0xff << (8 - (length % 8));
  return out.buffer;
}
