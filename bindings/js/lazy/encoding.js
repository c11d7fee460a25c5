// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/) and atob, btoa
// (https://html.spec.whatwg.org/multipage/webappapis.html#atob). UTF-8 and base64 run in C++
// (encoding.cc). Every other encoding (UTF-16, the single-byte and the multi-byte legacy ones)
// and the label table are lazy module `encoding_legacy`, loaded by the first TextDecoder made for
// one of them.
// Written against internal.primordials only (captured before tenant code ran), with no method
// call on a built-in, no for...of, spread or destructuring of arrays: harden.mjs leaves it as it
// is, so a context's first TextEncoder loads neither the safe-calls runtime nor the tables.
const { exposeInterface } = internal;
const {
  $RangeError, $TypeError, $Uint8Array, ArrayBufferIsView, StringPrototypeCharCodeAt, StringPrototypeSlice,
  StringPrototypeToLowerCase,
} = internal.primordials;
const { utf8Encode, utf8EncodeInto, utf8DecodeChunk, base64Encode, base64Decode } = native;

// The labels of UTF-8 (https://encoding.spec.whatwg.org/#names-and-labels): the others are
// encoding_legacy's.
const UTF8_LABELS = {
  __proto__: null, "unicode-1-1-utf-8": true, "unicode11utf8": true, "unicode20utf8": true, "utf-8": true,
  "utf8": true, "x-unicode20utf8": true,
};

// ASCII whitespace (https://infra.spec.whatwg.org/#ascii-whitespace), not trim()'s Unicode set.
function isAsciiWhitespace(c) {
  return c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
}

// https://encoding.spec.whatwg.org/#concept-encoding-get: the encoding's name, or undefined.
function getEncoding(label) {
  const text = `${label}`;
  let start = 0;
  let end = text.length;
  while (start < end && isAsciiWhitespace(StringPrototypeCharCodeAt(text, start))) start++;
  while (end > start && isAsciiWhitespace(StringPrototypeCharCodeAt(text, end - 1))) end--;
  const key = StringPrototypeToLowerCase(StringPrototypeSlice(text, start, end));
  if (UTF8_LABELS[key] === true) return "utf-8";
  return internal.require("encoding_legacy").getEncoding(key);
}

function checkBufferSource(input) {
  if (!ArrayBufferIsView(input) && !internal.isArrayBuffer(input)) {
    throw new $TypeError("TextDecoder.decode: input must be an ArrayBuffer or ArrayBufferView");
  }
}

class TextEncoder {
  get encoding() {
    return "utf-8";
  }

  encode(input = "") {
    return utf8Encode(`${input}`);
  }

  encodeInto(source, destination) {
    if (arguments.length < 2) throw new $TypeError("TextEncoder.encodeInto: 2 arguments required");
    if (!(destination instanceof $Uint8Array)) throw new $TypeError("TextEncoder.encodeInto: destination must be a Uint8Array");
    const result = utf8EncodeInto(`${source}`, destination);
    return { read: result[0], written: result[1] };
  }
}

const EMPTY = new $Uint8Array(0);

class TextDecoder {
  #encoding;
  #fatal;
  #ignoreBOM;
  #bomSeen = false;
  #doNotFlush = false;
  #state = null; // UTF-8: Uint8Array(4) of pending bytes
  #legacy = null; // every other encoding: encoding_legacy's decoder (its own state)

  constructor(label = "utf-8", options = {}) {
    const encoding = getEncoding(label);
    if (encoding === undefined || encoding === "replacement") {
      throw new $RangeError(`TextDecoder: the encoding label "${label}" is not supported`);
    }
    if (options !== undefined && options !== null && typeof options !== "object") {
      throw new $TypeError("TextDecoder: options must be an object");
    }
    if (encoding !== "utf-8") this.#legacy = internal.require("encoding_legacy").newDecoder(encoding);
    this.#encoding = encoding;
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }

  get encoding() {
    return this.#encoding;
  }

  get fatal() {
    return this.#fatal;
  }

  get ignoreBOM() {
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = {}) {
    if (options !== undefined && options !== null && typeof options !== "object") {
      throw new $TypeError("TextDecoder.decode: options must be an object");
    }
    if (input === undefined) input = EMPTY;
    else checkBufferSource(input);
    const stream = !!options?.stream;
    if (!this.#doNotFlush) {
      this.#bomSeen = false;
      this.#state = null;
      if (this.#legacy !== null) this.#legacy.reset();
    }
    this.#doNotFlush = stream;
    let text;
    if (this.#legacy === null) {
      if (stream && this.#state === null) this.#state = new $Uint8Array(4);
      text = utf8DecodeChunk(input, this.#fatal, this.#state, stream);
    } else {
      text = this.#legacy.decode(input, stream, this.#fatal);
    }
    if (text === null) {
      this.#state = null;
      if (this.#legacy !== null) this.#legacy.reset();
      this.#doNotFlush = false;
      throw new $TypeError(`TextDecoder.decode: the input is not valid ${this.#encoding}`);
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (StringPrototypeCharCodeAt(text, 0) === 0xfeff &&
          (this.#encoding === "utf-8" || this.#encoding === "utf-16le" || this.#encoding === "utf-16be")) {
        text = StringPrototypeSlice(text, 1);
      }
    }
    return text;
  }
}

exposeInterface(TextEncoder, "TextEncoder", false);
exposeInterface(TextDecoder, "TextDecoder", false);

function invalidCharacter(message) {
  const { DOMException } = internal.require("dom_exception");
  return new DOMException(message, "InvalidCharacterError");
}

// https://html.spec.whatwg.org/multipage/webappapis.html#dom-btoa
function btoa(data) {
  if (arguments.length === 0) throw new $TypeError("btoa: 1 argument required");
  const result = base64Encode(`${data}`);
  if (result === null) throw invalidCharacter("btoa: the string contains characters outside of Latin-1");
  return result;
}

// https://html.spec.whatwg.org/multipage/webappapis.html#dom-atob
function atob(data) {
  if (arguments.length === 0) throw new $TypeError("atob: 1 argument required");
  const result = base64Decode(`${data}`);
  if (result === null) throw invalidCharacter("atob: the string is not correctly encoded base64");
  return result;
}

module.exports = { TextEncoder, TextDecoder, atob, btoa, getEncoding };
