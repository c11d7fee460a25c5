// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/) and atob, btoa
// (https://html.spec.whatwg.org/multipage/webappapis.html#atob). UTF-8 and base64 run in C++
// (encoding.cc); UTF-16 and the single-byte legacy encodings here, with the standard's labels and
// indexes taken from @exodus/bytes. The multi-byte legacy encodings (gbk, gb18030, big5, euc-jp,
// iso-2022-jp, shift_jis, euc-kr) decode through the system ICU's converters (legacy_encoding.h).
import LABELS from "atoll-data:encoding-labels";
import SINGLE_BYTE_INDEXES from "atoll-data:single-byte-indexes";

const { exposeInterface } = internal;
const { DOMException } = internal.require("dom_exception");
const {
  utf8Encode, utf8EncodeInto, utf8DecodeChunk, base64Encode, base64Decode, legacyDecoderNew, legacyDecode,
} = native;
const StringFromCharCode = String.fromCharCode;
const StringPrototypeCharCodeAt = Function.prototype.call.bind(String.prototype.charCodeAt);
const StringPrototypeSlice = Function.prototype.call.bind(String.prototype.slice);
const StringPrototypeReplace = Function.prototype.call.bind(String.prototype.replace);
const StringPrototypeToLowerCase = Function.prototype.call.bind(String.prototype.toLowerCase);
const ArrayBufferIsView = ArrayBuffer.isView;
const $Uint8Array = Uint8Array;
const $TypeError = TypeError;
const $RangeError = RangeError;

const MULTI_BYTE = new Set(["gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr"]);

// label -> encoding name (https://encoding.spec.whatwg.org/#concept-encoding-get)
const labelToName = new Map();
for (const name of Object.keys(LABELS)) {
  labelToName.set(name, name);
  for (const label of LABELS[name]) labelToName.set(label, name);
}

function getEncoding(label) {
  // ASCII whitespace only, not String.prototype.trim's Unicode set.
  const key = StringPrototypeToLowerCase(StringPrototypeReplace(`${label}`, /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, ""));
  return labelToName.get(key);
}

// name -> array of 256 strings, one per byte (U+FFFD where the index has no code point).
const singleByteTables = new Map();
function singleByteTable(name) {
  let table = singleByteTables.get(name);
  if (table !== undefined) return table;
  table = [];
  for (let b = 0; b < 128; b++) table.push(StringFromCharCode(b));
  if (name === "x-user-defined") {
    for (let b = 128; b < 256; b++) table.push(StringFromCharCode(0xf780 + b - 128));
  } else {
    // @exodus/bytes' compressed index: each item a delta from 128 + i, or [count, delta] runs.
    const compressed = SINGLE_BYTE_INDEXES[name === "iso-8859-8-i" ? "iso-8859-8" : name];
    let i = 0;
    const push = (delta) => {
      table.push(StringFromCharCode(delta === 0xfffd ? 0xfffd : delta + 128 + i));
      i++;
    };
    for (const item of compressed) {
      if (Array.isArray(item)) {
        for (let k = 0; k < item[0]; k++) push(item[1] ?? 0);
      } else {
        push(item);
      }
    }
    // The index may stop early: the remaining bytes map to the same code point (Latin-1).
    while (table.length < 256) table.push(StringFromCharCode(table.length));
  }
  singleByteTables.set(name, table);
  return table;
}

function toBytes(input) {
  if (ArrayBufferIsView(input)) return new $Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (!internal.isArrayBuffer(input)) throw new $TypeError("TextDecoder.decode: input must be an ArrayBuffer or ArrayBufferView");
  return new $Uint8Array(input);
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
    const [read, written] = utf8EncodeInto(`${source}`, destination);
    return { read, written };
  }
}

class TextDecoder {
  #encoding;
  #fatal;
  #ignoreBOM;
  #bomSeen = false;
  #doNotFlush = false;
  #state = null; // UTF-8: Uint8Array(4) of pending bytes; UTF-16: [leadByte, leadSurrogate]
  #converter = null; // the multi-byte legacy encodings: the ICU converter's handle (kept across calls)

  constructor(label = "utf-8", options = {}) {
    const encoding = getEncoding(label);
    if (encoding === undefined || encoding === "replacement") {
      throw new $RangeError(`TextDecoder: the encoding label "${label}" is not supported`);
    }
    if (options !== undefined && options !== null && typeof options !== "object") {
      throw new $TypeError("TextDecoder: options must be an object");
    }
    if (MULTI_BYTE.has(encoding)) {
      this.#converter = legacyDecoderNew(encoding);
      if (this.#converter === null) throw new $RangeError(`TextDecoder: the ${encoding} encoding is not available`);
    }
    this.#encoding = encoding;
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
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
    const bytes = input === undefined ? new $Uint8Array(0) : toBytes(input);
    const stream = Boolean(options?.stream);
    if (!this.#doNotFlush) {
      this.#bomSeen = false;
      this.#state = null;
    }
    this.#doNotFlush = stream;
    let text;
    switch (this.#encoding) {
      case "utf-8":
        text = this.#decodeUtf8(bytes, stream);
        break;
      case "utf-16le":
      case "utf-16be":
        text = this.#decodeUtf16(bytes, stream, this.#encoding === "utf-16be");
        break;
      default:
        text = MULTI_BYTE.has(this.#encoding) ? this.#decodeMultiByte(bytes, stream) : this.#decodeSingleByte(bytes);
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (StringPrototypeCharCodeAt(text, 0) === 0xfeff && this.#encoding !== "windows-1252" &&
          (this.#encoding === "utf-8" || this.#encoding === "utf-16le" || this.#encoding === "utf-16be")) {
        text = StringPrototypeSlice(text, 1);
      }
    }
    return text;
  }

  #decodeUtf8(bytes, stream) {
    if (stream && this.#state === null) this.#state = new $Uint8Array(4);
    const text = utf8DecodeChunk(bytes, this.#fatal, this.#state, stream);
    if (text === null) {
      this.#state = null;
      this.#doNotFlush = false;
      throw new $TypeError("TextDecoder.decode: the input is not valid utf-8");
    }
    return text;
  }

  // https://encoding.spec.whatwg.org/#shared-utf-16-decoder; #state = [leadByte, leadSurrogate]
  // (-1 when none) carried between chunks of a stream.
  #decodeUtf16(bytes, stream, bigEndian) {
    const state = this.#state ?? [-1, -1];
    let [leadByte, leadSurrogate] = state;
    let out = "";
    const units = [];
    const error = () => {
      if (this.#fatal) {
        this.#state = null;
        this.#doNotFlush = false;
        throw new $TypeError(`TextDecoder.decode: the input is not valid ${this.#encoding}`);
      }
      units.push(0xfffd);
    };
    for (let i = 0; i < bytes.length; i++) {
      if (leadByte === -1) {
        leadByte = bytes[i];
        continue;
      }
      const unit = bigEndian ? (leadByte << 8) | bytes[i] : leadByte | (bytes[i] << 8);
      leadByte = -1;
      if (leadSurrogate !== -1) {
        const lead = leadSurrogate;
        leadSurrogate = -1;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          units.push(lead, unit);
          continue;
        }
        error();
      }
      if (unit >= 0xd800 && unit <= 0xdbff) {
        leadSurrogate = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        error();
      } else {
        units.push(unit);
      }
      if (units.length >= 8192) {
        out += StringFromCharCode(...units);
        units.length = 0;
      }
    }
    if (!stream && (leadByte !== -1 || leadSurrogate !== -1)) {
      leadByte = leadSurrogate = -1;
      error();
    }
    this.#state = stream ? [leadByte, leadSurrogate] : null;
    return out + StringFromCharCode(...units);
  }

  #decodeMultiByte(bytes, stream) {
    const text = legacyDecode(this.#converter, bytes, this.#fatal, stream);
    if (text === null) {
      this.#doNotFlush = false;
      throw new $TypeError(`TextDecoder.decode: the input is not valid ${this.#encoding}`);
    }
    return text;
  }

  #decodeSingleByte(bytes) {
    const table = singleByteTable(this.#encoding);
    let text = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = table[bytes[i]];
      if (this.#fatal && c === "\uFFFD") throw new $TypeError(`TextDecoder.decode: the input is not valid ${this.#encoding}`);
      text += c;
    }
    return text;
  }
}

exposeInterface(TextEncoder, "TextEncoder", false);
exposeInterface(TextDecoder, "TextDecoder", false);

// https://html.spec.whatwg.org/multipage/webappapis.html#dom-btoa
function btoa(data) {
  if (arguments.length === 0) throw new $TypeError("btoa: 1 argument required");
  const result = base64Encode(`${data}`);
  if (result === null) throw new DOMException("btoa: the string contains characters outside of Latin-1", "InvalidCharacterError");
  return result;
}

// https://html.spec.whatwg.org/multipage/webappapis.html#dom-atob
function atob(data) {
  if (arguments.length === 0) throw new $TypeError("atob: 1 argument required");
  const result = base64Decode(`${data}`);
  if (result === null) throw new DOMException("atob: the string is not correctly encoded base64", "InvalidCharacterError");
  return result;
}

export { TextEncoder, TextDecoder, atob, btoa, getEncoding };
