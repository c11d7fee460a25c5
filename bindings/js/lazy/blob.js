// Blob, File (https://w3c.github.io/FileAPI/) and FormData
// (https://xhr.spec.whatwg.org/#interface-formdata), with the multipart/form-data serializer and
// parser the body mixin uses (https://fetch.spec.whatwg.org/#body-mixin). Hand-written. A Blob
// holds its bytes in one Uint8Array (a server's blobs are request and response bodies, not files
// on disk).
import { parseMimeType, serializeMimeType, extractMimeType } from "./lib/mime.js";

const { exposeInterface } = internal;
const { utf8Encode, utf8Decode } = native;
const $TypeError = TypeError;
const $Uint8Array = Uint8Array;
const ArrayBufferIsView = ArrayBuffer.isView;
const MathMax = Math.max;
const MathMin = Math.min;
const { isArrayBuffer } = internal;
// Module-private: a copy of a Blob's bytes, and a Blob's state given to another (set in Blob's
// static block); whether a value is a Blob, a File's name and lastModified (brand checks).
let blobBytes;
let copyBlob;
let isBlob;
let fileOf;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const HostObject = native.HostObject;

// The base of Blob: its instances are host objects to V8's ValueSerializer, so that
// structuredClone copies a Blob or File as a Blob or File (https://w3c.github.io/FileAPI/#blob-section:
// Blobs are serializable objects) through cloneHost below, not as an empty plain object.
// Blob.prototype's prototype is put back to Object.prototype, as Web IDL has it.
class Cloneable {
  constructor() {
    return ReflectConstruct(HostObject, [], new.target);
  }
}

function concat(chunks, total) {
  const out = new $Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// https://w3c.github.io/FileAPI/#process-blob-parts
function processParts(parts, endings) {
  if (parts === undefined) return new $Uint8Array(0);
  if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
    throw new $TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
  }
  const chunks = [];
  let total = 0;
  for (const part of parts) {
    let bytes;
    if (part instanceof Blob) {
      bytes = blobBytes(part);
    } else if (ArrayBufferIsView(part)) {
      bytes = new $Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice();
    } else if (isArrayBuffer(part)) {
      bytes = new $Uint8Array(part).slice();
    } else {
      let text = `${part}`;
      if (endings === "native") text = text.replace(/\r\n|\r/g, "\n");
      bytes = utf8Encode(text);
    }
    chunks.push(bytes);
    total += bytes.length;
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks, total);
}

// A type with only printable ASCII, lower-cased; anything else is "".
function normalizeType(type) {
  const text = `${type}`;
  return /^[\x20-\x7E]*$/.test(text) ? text.toLowerCase() : "";
}

class Blob extends Cloneable {
  #bytes;
  #type;

  constructor(blobParts = undefined, options = undefined) {
    super();
    if (options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function") {
      throw new $TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
    }
    const endings = options?.endings === undefined ? "transparent" : `${options.endings}`;
    if (endings !== "transparent" && endings !== "native") {
      throw new $TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`);
    }
    this.#type = options?.type === undefined ? "" : normalizeType(options.type);
    this.#bytes = processParts(blobParts, endings);
  }

  get size() { return this.#bytes.length; }
  get type() { return this.#type; }

  // https://w3c.github.io/FileAPI/#dfn-slice
  slice(start = undefined, end = undefined, contentType = undefined) {
    const size = this.#bytes.length;
    const clamp = (value, fallback) => {
      if (value === undefined) return fallback;
      const n = Math.trunc(Number(value)) || 0;
      return n < 0 ? MathMax(size + n, 0) : MathMin(n, size);
    };
    const from = clamp(start, 0);
    const to = clamp(end, size);
    const blob = new Blob([], { type: contentType === undefined ? "" : normalizeType(contentType) });
    blob.#bytes = this.#bytes.slice(from, MathMax(to, from));
    return blob;
  }

  text() {
    return Promise.resolve(utf8Decode(this.#bytes));
  }

  arrayBuffer() {
    return Promise.resolve(this.#bytes.slice().buffer);
  }

  bytes() {
    return Promise.resolve(this.#bytes.slice());
  }

  stream() {
    const { ReadableStream } = internal.require("streams");
    const bytes = this.#bytes.slice();
    return new ReadableStream({
      type: "bytes",
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
  }

  static {
    blobBytes = (blob) => blob.#bytes.slice();
    isBlob = (value) => #bytes in value;
    // A Blob's bytes are never written to once it is made: a clone may share them.
    copyBlob = (from, to) => {
      to.#bytes = from.#bytes;
      to.#type = from.#type;
    };
  }
}

class File extends Blob {
  #name;
  #lastModified;

  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2) throw new $TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    super(fileBits, options);
    this.#name = `${fileName}`;
    this.#lastModified = options?.lastModified === undefined ? Date.now() : Number(options.lastModified) || 0;
  }

  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ""; }

  static {
    fileOf = (value) => (#name in value ? [value.#name, value.#lastModified] : undefined);
  }
}

ObjectSetPrototypeOf(Blob.prototype, Object.prototype);

// structuredClone's copy of a host object (scope.h): a Blob or File with the same bytes, type,
// name and lastModified; a subclass's instance becomes a plain Blob or File, as in browsers.
internal.cloneHost = (value) => {
  let copy;
  const file = fileOf(value);
  if (file !== undefined) {
    copy = new File([], file[0], { lastModified: file[1] });
  } else if (isBlob(value)) {
    copy = new Blob([]);
  } else {
    const error = new Error("this platform object cannot be cloned");
    error.name = "DataCloneError";
    throw error;
  }
  copyBlob(value, copy);
  return copy;
};

// ---------------------------------------------------------------------------------------------
// FormData

// https://xhr.spec.whatwg.org/#create-an-entry
function makeEntry(name, value, filename) {
  name = `${name}`;
  if (value instanceof Blob) {
    if (!(value instanceof File) || filename !== undefined) {
      value = new File([value], filename === undefined ? "blob" : `${filename}`, { type: value.type });
    }
  } else {
    value = `${value}`;
  }
  return [name, value];
}

class FormData {
  #entries = [];

  constructor(form = undefined, submitter = undefined) {
    if (form !== undefined) throw new $TypeError("Failed to construct 'FormData': there are no form elements in atoll.");
  }

  append(name, value, filename = undefined) {
    if (arguments.length < 2) throw new $TypeError("Failed to execute 'append' on 'FormData': 2 arguments required.");
    if (arguments.length === 3 && !(value instanceof Blob)) throw new $TypeError("Failed to execute 'append' on 'FormData': parameter 2 is not of type 'Blob'.");
    this.#entries.push(makeEntry(name, value, filename));
  }

  delete(name) {
    name = `${name}`;
    this.#entries = this.#entries.filter(([key]) => key !== name);
  }

  get(name) {
    name = `${name}`;
    const entry = this.#entries.find(([key]) => key === name);
    return entry === undefined ? null : entry[1];
  }

  getAll(name) {
    name = `${name}`;
    return this.#entries.filter(([key]) => key === name).map(([, value]) => value);
  }

  has(name) {
    name = `${name}`;
    return this.#entries.some(([key]) => key === name);
  }

  set(name, value, filename = undefined) {
    if (arguments.length < 2) throw new $TypeError("Failed to execute 'set' on 'FormData': 2 arguments required.");
    if (arguments.length === 3 && !(value instanceof Blob)) throw new $TypeError("Failed to execute 'set' on 'FormData': parameter 2 is not of type 'Blob'.");
    const entry = makeEntry(name, value, filename);
    const index = this.#entries.findIndex(([key]) => key === entry[0]);
    if (index === -1) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[index] = entry;
    this.#entries = this.#entries.filter(([key], i) => i <= index || key !== entry[0]);
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new $TypeError("Failed to execute 'forEach' on 'FormData': parameter 1 is not a function.");
    for (let i = 0; i < this.#entries.length; i++) {
      const [name, value] = this.#entries[i];
      callback.call(thisArg, value, name, this);
    }
  }

  *entries() {
    for (let i = 0; i < this.#entries.length; i++) yield [...this.#entries[i]];
  }

  *keys() {
    for (let i = 0; i < this.#entries.length; i++) yield this.#entries[i][0];
  }

  *values() {
    for (let i = 0; i < this.#entries.length; i++) yield this.#entries[i][1];
  }

  [Symbol.iterator]() {
    return this.entries();
  }
}

exposeInterface(Blob, "Blob", false);
exposeInterface(File, "File", false);
exposeInterface(FormData, "FormData", false);

// ---------------------------------------------------------------------------------------------
// multipart/form-data (https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data)

const escapeName = (name) => name.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");

// -> { bytes: Uint8Array, contentType }
function serializeFormData(formData) {
  let boundary = "----atollFormBoundary";
  for (let i = 0; i < 16; i++) boundary += "0123456789abcdef"[Math.floor(Math.random() * 16)];
  const chunks = [];
  let total = 0;
  const push = (bytes) => {
    chunks.push(bytes);
    total += bytes.length;
  };
  for (const [name, value] of formData) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name.replace(/\r\n|\r|\n/g, "\r\n"))}"`;
    if (typeof value === "string") {
      push(utf8Encode(`${head}\r\n\r\n${value.replace(/\r\n|\r|\n/g, "\r\n")}\r\n`));
    } else {
      head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      push(utf8Encode(head));
      push(blobBytes(value));
      push(utf8Encode("\r\n"));
    }
  }
  push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concat(chunks, total), contentType: `multipart/form-data; boundary=${boundary}` };
}

// The value of parameter `name` in a header value (quoted or not), or null.
function headerParameter(value, name) {
  const pattern = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const match = pattern.exec(value);
  if (match === null) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

function indexOfBytes(haystack, needle, from) {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

function latin1(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

// The end of the line starting at `position`: the index of its LF, or -1.
function lineEnd(bytes, position) {
  return bytes.indexOf(0x0a, position);
}

// bytes of a multipart/form-data body -> FormData; TypeError when malformed. Line breaks are CRLF
// or, as Deno and browsers accept, a lone LF.
function parseMultipart(bytes, contentType) {
  const boundary = headerParameter(contentType, "boundary");
  if (!boundary) throw new $TypeError("Failed to parse the body as FormData: no multipart boundary");
  const delimiter = utf8Encode(`--${boundary}`);
  const nextDelimiter = utf8Encode(`\n--${boundary}`);
  const formData = new FormData();
  let position = indexOfBytes(bytes, delimiter, 0);
  if (position === -1) throw new $TypeError("Failed to parse the body as FormData: the boundary is missing");
  for (;;) {
    position += delimiter.length;
    if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) return formData; // "--": the end
    // The rest of the delimiter line (transport padding), then header lines up to an empty one.
    let end = lineEnd(bytes, position);
    if (end === -1) throw new $TypeError("Failed to parse the body as FormData: a part has no header end");
    position = end + 1;
    const headers = [];
    for (;;) {
      end = lineEnd(bytes, position);
      if (end === -1) throw new $TypeError("Failed to parse the body as FormData: a part has no header end");
      const line = latin1(bytes.subarray(position, end > position && bytes[end - 1] === 0x0d ? end - 1 : end));
      position = end + 1;
      if (line === "") break;
      headers.push(line);
    }
    const next = indexOfBytes(bytes, nextDelimiter, position - 1);
    if (next === -1) throw new $TypeError("Failed to parse the body as FormData: the closing boundary is missing");
    const body = bytes.slice(position, next > position && bytes[next - 1] === 0x0d ? next - 1 : next);
    let name = null, filename = null, type = "";
    for (const line of headers) {
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = utf8Decode(latin1Bytes(line.slice(colon + 1).trim()));
      if (key === "content-disposition") {
        name = headerParameter(value, "name");
        filename = headerParameter(value, "filename");
      } else if (key === "content-type") {
        type = value;
      }
    }
    if (name === null) throw new $TypeError("Failed to parse the body as FormData: a part has no name");
    if (filename !== null) {
      formData.append(name, new File([body], filename, { type }));
    } else {
      formData.append(name, utf8Decode(body));
    }
    position = next + 1;
  }
}

// Blob.type of body.blob(): the Content-Type's MIME type, serialized (type, subtype and parameter
// names lower-cased), "" when there is none or it does not parse
// (https://fetch.spec.whatwg.org/#dom-body-blob).
function blobTypeOf(contentType) {
  const mimeType = extractMimeType(contentType);
  return mimeType === null ? "" : serializeMimeType(mimeType);
}

function latin1Bytes(text) {
  const bytes = new $Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

export { Blob, File, FormData, blobBytes, serializeFormData, parseMultipart, blobTypeOf, parseMimeType };
