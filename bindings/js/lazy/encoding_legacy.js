// The TextDecoder encodings other than UTF-8 (https://encoding.spec.whatwg.org/), loaded by the
// encoding module (js/lazy/encoding.js) for the first decoder of one of them, and the label
// table: UTF-16LE/BE and the single-byte legacy encodings here, with the standard's labels and
// indexes taken from @exodus/bytes; the multi-byte legacy encodings (gbk, gb18030, big5, euc-jp,
// iso-2022-jp, shift_jis, euc-kr) through the system ICU's converters (legacy_encoding.h).
import LABELS from "atoll-data:encoding-labels";
import SINGLE_BYTE_INDEXES from "atoll-data:single-byte-indexes";

const { legacyDecoderNew, legacyDecode } = native;
const StringFromCharCode = String.fromCharCode;
const $Uint8Array = Uint8Array;
const $RangeError = RangeError;

const MULTI_BYTE = new Set(["gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr"]);

// label -> encoding name (https://encoding.spec.whatwg.org/#concept-encoding-get)
const labelToName = new Map();
for (const name of Object.keys(LABELS)) {
  labelToName.set(name, name);
  for (const label of LABELS[name]) labelToName.set(label, name);
}

// `key`: a label already stripped of ASCII whitespace and lower-cased (encoding.js).
function getEncoding(key) {
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

// `input`: an ArrayBuffer or ArrayBufferView (encoding.js checked).
function toBytes(input) {
  if (ArrayBuffer.isView(input)) return new $Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return new $Uint8Array(input);
}

// https://encoding.spec.whatwg.org/#shared-utf-16-decoder; state = [leadByte, leadSurrogate]
// (-1 when none) carried between chunks of a stream. Returns null on an error when `fatal`.
class Utf16Decoder {
  #bigEndian;
  #state = null;

  constructor(bigEndian) {
    this.#bigEndian = bigEndian;
  }

  reset() {
    this.#state = null;
  }

  decode(input, stream, fatal) {
    const bytes = toBytes(input);
    const bigEndian = this.#bigEndian;
    let [leadByte, leadSurrogate] = this.#state ?? [-1, -1];
    let out = "";
    const units = [];
    let failed = false;
    const error = () => {
      if (fatal) failed = true;
      else units.push(0xfffd);
    };
    for (let i = 0; i < bytes.length && !failed; i++) {
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
    if (!failed && !stream && (leadByte !== -1 || leadSurrogate !== -1)) {
      leadByte = leadSurrogate = -1;
      error();
    }
    if (failed) return null;
    this.#state = stream ? [leadByte, leadSurrogate] : null;
    return out + StringFromCharCode(...units);
  }
}

class SingleByteDecoder {
  #table;

  constructor(name) {
    this.#table = singleByteTable(name);
  }

  reset() {}

  decode(input, stream, fatal) {
    const bytes = toBytes(input);
    const table = this.#table;
    let text = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = table[bytes[i]];
      if (fatal && c === "\uFFFD") return null;
      text += c;
    }
    return text;
  }
}

// The ICU converter's handle is kept across calls (`stream: true` carries split sequences).
class MultiByteDecoder {
  #converter;

  constructor(name) {
    this.#converter = legacyDecoderNew(name);
    if (this.#converter === null) throw new $RangeError(`TextDecoder: the ${name} encoding is not available`);
  }

  reset() {}

  decode(input, stream, fatal) {
    return legacyDecode(this.#converter, toBytes(input), fatal, stream);
  }
}

// A decoder of `name` (not UTF-8): decode(input, stream, fatal) -> string, or null when `fatal`
// and the input is malformed; reset() forgets a pending sequence.
function newDecoder(name) {
  if (name === "utf-16le" || name === "utf-16be") return new Utf16Decoder(name === "utf-16be");
  if (MULTI_BYTE.has(name)) return new MultiByteDecoder(name);
  return new SingleByteDecoder(name);
}

export { getEncoding, newDecoder };
