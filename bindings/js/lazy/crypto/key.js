// CryptoKey (https://w3c.github.io/webcrypto/#cryptokey-interface): not constructible by
// scripts. The key material is a native handle (bindings/crypto_util.h) in a #private field.

const kConstruct = Symbol("CryptoKey");

// What the spec keeps in [[algorithm]]: { name, length?, hash?: { name }, namedCurve?,
// modulusLength?, publicExponent? } -> the object scripts see, made once per key.
function exposedAlgorithm(algorithm) {
  const out = {};
  for (const key in algorithm) {
    const value = algorithm[key];
    if (key === "hash") out.hash = { name: value.name };
    else if (key === "publicExponent") out.publicExponent = new Uint8Array(value);
    else out[key] = value;
  }
  return out;
}

let internals;

export class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;
  #handle;
  #algorithmCached;
  #usagesCached;

  constructor() {
    if (arguments[0] !== kConstruct) throw new TypeError("Illegal constructor");
    const [, type, extractable, algorithm, usages, handle] = arguments;
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = algorithm;
    this.#usages = usages;
    this.#handle = handle;
  }

  get type() {
    return this.#type;
  }

  get extractable() {
    return this.#extractable;
  }

  get algorithm() {
    if (this.#algorithmCached === undefined) this.#algorithmCached = exposedAlgorithm(this.#algorithm);
    return this.#algorithmCached;
  }

  get usages() {
    if (this.#usagesCached === undefined) this.#usagesCached = [...this.#usages];
    return this.#usagesCached;
  }

  static {
    internals = {
      is: (value) => value !== null && typeof value === "object" && #handle in value,
      type: (key) => key.#type,
      extractable: (key) => key.#extractable,
      algorithm: (key) => key.#algorithm,
      usages: (key) => key.#usages,
      handle: (key) => key.#handle,
    };
  }
}

export function newKey(type, extractable, algorithm, usages, handle) {
  return new CryptoKey(kConstruct, type, extractable, algorithm, usages, handle);
}

export const isCryptoKey = internals.is;
export const keyType = internals.type;
export const keyExtractable = internals.extractable;
export const keyAlgorithm = internals.algorithm;
export const keyUsages = internals.usages;
export const keyHandle = internals.handle;
