// R2 (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/): env.NAME for a
// [tenants.r2] binding is an R2Bucket: head, get (onlyIf, range), put (metadata, checksums,
// onlyIf), delete, list (prefix, delimiter, cursor, startAfter, include) and multipart uploads
// (createMultipartUpload, resumeMultipartUpload -> R2MultipartUpload). A bucket is a Durable
// Object of an engine class ("0r2_" + the bucket's name, "-" as "$"), as D1 databases and
// queues are: one SQLite database under data_dir/do/, one owner process (the other worker
// processes forward their calls). Its objects and their bodies are kept in chunks of 1 MiB
// (r2/engine.js); a body goes to it, and comes back, 8 MiB a call at most, whatever the
// object's size (at most MAX_OBJECT_BYTES). Shapes, checks and errors: r2/objects.js.
import {
  R2Error, engineError, checkKey, conditionalOf, rangeOf, httpMetadataOf, customMetadataOf, storageClassOf,
  checksumOf, includeOf, hexOf, kToken, R2Object, R2ObjectBody, R2Checksums,
} from "./r2/objects.js";
import { R2Engine, CALL_BYTES, MAX_PARTS } from "./r2/engine.js";

const $TypeError = TypeError;
const $Error = Error;
const $String = String;
const $Number = Number;
const $Map = Map;
const $Uint8Array = Uint8Array;
const $ArrayBuffer = ArrayBuffer;
const ArrayIsArray = Array.isArray;
const ArrayBufferIsView = ArrayBuffer.isView;
const NumberIsInteger = Number.isInteger;
const JSONStringify = JSON.stringify;
const JSONParse = JSON.parse;
const { utf8Encode, utf8Decode } = native;

// The largest object a put or an upload's part makes (README "R2" has the measurements): a
// body travels 8 MiB a call, and from a process that does not run the bucket each call is a
// subrequest (50 a request by default), so 100 MiB is 13 of them; a put costs about 10 ms of
// the request's CPU per MiB (MD5, copies, SQLite), so 100 MiB already wants cpu_ms of a second
// or more. R2's own limit (5 GiB a put) would fit neither.
export const MAX_OBJECT_BYTES = 100 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;
const MAX_LIST_LIMIT = 1000;

function objects() { return internal.require("durable_objects"); }

// The bucket's object: platformCall (durable_objects.js) runs it here without cloning, or
// forwards the call to the process that runs it. An answer { error } becomes R2's error.
class EngineStub {
  #className;
  #hex;
  constructor(className) {
    this.#className = className;
    this.#hex = objects().newNamespace(className).idFromName("bucket").toString();
  }
  async call(action, method, args) {
    const result = await objects().platformCall(this.#className, this.#hex, method, args);
    if (result !== null && typeof result === "object" && result.error !== undefined) throw engineError(action, result.error);
    return result;
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies in

// What put() and uploadPart() take, checked and (but for a stream) copied before anything is
// read: a tenant may change its buffer once the call returned. An async iterator of
// Uint8Arrays, in pieces of any size, that the reader may keep.
function sourceOf(action, value) {
  const once = (bytes) => (async function* () { yield bytes; })();
  if (value === null || value === undefined) return once(new $Uint8Array(0));
  if (typeof value === "string") return once(utf8Encode(value));
  if (value instanceof $ArrayBuffer) return once(new $Uint8Array(value.slice(0)));
  if (ArrayBufferIsView(value)) return once(new $Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)));
  const { Blob, blobBytes } = internal.require("blob");
  if (value instanceof Blob) return once(blobBytes(value));
  const { bodyStreams } = internal.require("streams");
  if (bodyStreams.isReadableStream(value)) {
    if (bodyStreams.isLocked(value) || bodyStreams.isDisturbed(value)) throw new $TypeError(`${action}: the stream is locked or was read already`);
    const reader = value.getReader();
    return (async function* () {
      try {
        for (;;) {
          const { done, value: chunk } = await reader.read();
          if (done) return;
          // Copies: the stream's source may reuse its buffers.
          if (chunk instanceof $ArrayBuffer) yield new $Uint8Array(chunk.slice(0));
          else if (ArrayBufferIsView(chunk)) yield new $Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
          else throw new $TypeError(`${action}: a stream's chunks must be ArrayBuffers or views of one`);
        }
      } finally {
        reader.releaseLock();
      }
    })();
  }
  throw new $TypeError(`${action}: the value must be a ReadableStream, ArrayBuffer, ArrayBufferView, string, Blob or null`);
}

// Reads `source` into the engine: pieces gathered into calls of CALL_BYTES; a body that fits
// one goes with the put itself ({ bytes }), a longer one is staged a call at a time ({ blob }).
// Digests (MD5 always, and `extra`, a WebCrypto name) are made as it goes.
async function sendBody(action, stub, source, extra) {
  const md5 = native.cryptoDigestInit("MD5");
  const other = extra === undefined ? undefined : native.cryptoDigestInit(extra);
  let pending = [], pendingBytes = 0, size = 0, blob = 0, staged = 0;
  const flush = async (bytes) => {
    ({ blob } = await stub.call(action, "r2Stage", [blob, staged, bytes]));
    staged += bytes.byteLength;
  };
  const gather = (length) => {
    // A piece that is all of its own buffer goes as it is (a view of part of a buffer would
    // carry the whole buffer to another process).
    const head = pending[0];
    if (head !== undefined && head.byteLength === length && head.byteOffset === 0 && head.buffer.byteLength === length) {
      pending.shift();
      pendingBytes -= length;
      return head;
    }
    const out = new $Uint8Array(length);
    let at = 0;
    while (at < length) {
      const piece = pending[0];
      const take = Math.min(piece.byteLength, length - at);
      out.set(take === piece.byteLength ? piece : piece.subarray(0, take), at);
      at += take;
      if (take === piece.byteLength) pending.shift();
      else pending[0] = piece.subarray(take);
    }
    pendingBytes -= length;
    return out;
  };
  try {
    for await (const piece of source) {
      if (piece.byteLength === 0) continue;
      size += piece.byteLength;
      if (size > MAX_OBJECT_BYTES) {
        throw new R2Error(action, 100100, `Your proposed upload exceeds the maximum allowed object size (${MAX_OBJECT_BYTES} bytes in atoll).`);
      }
      native.cryptoDigestUpdate(md5, piece);
      if (other !== undefined) native.cryptoDigestUpdate(other, piece);
      pending.push(piece);
      pendingBytes += piece.byteLength;
      while (pendingBytes >= CALL_BYTES) {
        const chunk = gather(CALL_BYTES);
        // (a body of exactly CALL_BYTES still goes with the put: stage only once more follows)
        if (pendingBytes === 0 && blob === 0) {
          pending.push(chunk);
          pendingBytes = chunk.byteLength;
          break;
        }
        await flush(chunk);
      }
    }
    const rest = gather(pendingBytes);
    let body;
    if (blob === 0) {
      body = { bytes: rest };
    } else {
      if (rest.byteLength > 0) await flush(rest);
      body = { blob };
    }
    return { body, size, md5: hexOf(native.cryptoDigestFinal(md5)), other: other === undefined ? undefined : hexOf(native.cryptoDigestFinal(other)) };
  } catch (e) {
    if (blob !== 0) await stub.call(action, "r2Drop", [blob]).catch(() => {});
    throw e;
  }
}

function refuseSsec(action, options) {
  if (options?.ssecKey !== undefined) throw new $Error(`${action}: SSE-C (ssecKey) is not supported by atoll`);
}

// ---------------------------------------------------------------------------------------------
// Bodies out

// The body of a get: the first piece came with the answer; the rest is read a chunk a pull.
function bodyOf(stub, key, answer) {
  const { bodyStreams, ReadableStream } = internal.require("streams");
  const first = new $Uint8Array(answer.bytes);
  const { offset: start, length } = answer.range;
  if (first.byteLength === length) {
    const whole = bodyStreams.fromBytes(first);
    internal.setFixedLength(whole, length);  // a Response of it has a Content-Length
    return whole;
  }
  let offset = start + first.byteLength;
  const end = start + length;
  const stream = new ReadableStream({
    type: "bytes",
    start(controller) {
      if (first.byteLength > 0) controller.enqueue(first);
    },
    async pull(controller) {
      const { bytes } = await stub.call("get", "r2Read", [key, answer.version, offset, end - offset]);
      if (bytes.byteLength === 0) throw new $Error("get: the object's body ended early");
      offset += bytes.byteLength;
      controller.enqueue(new $Uint8Array(bytes));
      if (offset >= end) controller.close();
    },
  });
  internal.setFixedLength(stream, length);
  return stream;
}

// ---------------------------------------------------------------------------------------------
// The bucket

function metadataOf(action, options) {
  return {
    http: JSONStringify(httpMetadataOf(action, options?.httpMetadata)),
    custom: JSONStringify(customMetadataOf(action, options?.customMetadata)),
    storageClass: storageClassOf(action, options?.storageClass),
  };
}

// list()'s cursor: where the next page starts, as hex of its JSON ({after: key} or {skip: prefix}).
function cursorOf(last) {
  return hexOf(utf8Encode(JSONStringify(last)));
}

function parseCursor(cursor) {
  const text = $String(cursor);
  try {
    if (!/^([0-9a-f]{2})+$/.test(text)) throw new $Error();
    const bytes = new $Uint8Array(text.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    const at = JSONParse(utf8Decode(bytes));
    if (typeof at?.after === "string" || typeof at?.skip === "string") return at;
  } catch {}
  throw new R2Error("list", 10022, "The cursor is not valid (pass the cursor of the previous list() as it was).");
}

// env.NAME: one bucket of the tenant's (its engine's stub); every method checks its arguments
// here and makes one engine call, or one per 8 MiB of a body.
class R2Bucket {
  #stub;
  constructor(token, stub) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#stub = stub;
  }

  async head(key) {
    key = checkKey("head", key);
    const meta = await this.#stub.call("head", "r2Head", [key]);
    return meta === null ? null : new R2Object(kToken, meta);
  }

  async get(key, options = undefined) {
    key = checkKey("get", key);
    refuseSsec("get", options);
    const cond = conditionalOf("get", options?.onlyIf);
    const range = rangeOf("get", options?.range);
    const answer = await this.#stub.call("get", "r2Get", [key, cond, range]);
    if (answer === null) return null;
    if (answer.failed) return new R2Object(kToken, answer.meta);
    return new R2ObjectBody(kToken, answer.meta, answer.range, bodyOf(this.#stub, key, answer));
  }

  async put(key, value, options = undefined) {
    key = checkKey("put", key);
    refuseSsec("put", options);
    const cond = conditionalOf("put", options?.onlyIf);
    const meta = metadataOf("put", options);
    const checksum = options === undefined || options === null ? undefined : checksumOf(options);
    const source = sourceOf("put", value);
    const sent = await sendBody("put", this.#stub, source, checksum === undefined || checksum.name === "md5" ? undefined : checksum.algorithm);
    const digests = { md5: sent.md5 };
    if (checksum !== undefined) {
      const got = checksum.name === "md5" ? sent.md5 : sent.other;
      if (got !== checksum.hex) {
        if (sent.body.blob !== undefined) await this.#stub.call("put", "r2Drop", [sent.body.blob]);
        throw new R2Error("put", 10037, `The ${checksum.algorithm} checksum you specified did not match what we received.`);
      }
      digests[checksum.name] = got;
    }
    const stored = await this.#stub.call("put", "r2Put", [key, sent.body,
      { size: sent.size, etag: sent.md5, checksums: JSONStringify(digests), ...meta }, cond]);
    return stored === null ? null : new R2Object(kToken, stored);
  }

  async delete(keys) {
    const list = ArrayIsArray(keys) ? keys : [keys];
    if (list.length > MAX_DELETE_KEYS) throw new R2Error("delete", 10022, `At most ${MAX_DELETE_KEYS} keys can be deleted at once.`);
    const checked = list.map((key) => checkKey("delete", key));
    if (checked.length > 0) await this.#stub.call("delete", "r2Delete", [checked]);
  }

  async list(options = undefined) {
    if (options !== undefined && options !== null && typeof options !== "object") throw new $TypeError("list: options must be an object");
    const limit = options?.limit === undefined ? MAX_LIST_LIMIT : $Number(options.limit);
    if (!NumberIsInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new R2Error("list", 10022, `MaxKeys params must be positive integer <= ${MAX_LIST_LIMIT}.`);
    }
    const include = includeOf(options?.include);
    const prefix = options?.prefix === undefined ? "" : $String(options.prefix);
    const delimiter = options?.delimiter === undefined ? "" : $String(options.delimiter);
    const startAfter = options?.startAfter === undefined ? undefined : $String(options.startAfter);
    const at = options?.cursor === undefined || options.cursor === "" ? {} : parseCursor(options.cursor);
    let after = at.after;
    if (startAfter !== undefined && (after === undefined || startAfter > after) && at.skip === undefined) after = startAfter;
    const page = await this.#stub.call("list", "r2List", [{ prefix, after, skip: at.skip, delimiter, limit }]);
    const result = {
      objects: page.objects.map((meta) => new R2Object(kToken, meta, include)),
      truncated: page.truncated,
      delimitedPrefixes: page.delimitedPrefixes,
    };
    if (page.truncated) result.cursor = cursorOf(page.last);
    return result;
  }

  async createMultipartUpload(key, options = undefined) {
    key = checkKey("createMultipartUpload", key);
    refuseSsec("createMultipartUpload", options);
    const { uploadId } = await this.#stub.call("createMultipartUpload", "r2CreateUpload", [key, metadataOf("createMultipartUpload", options)]);
    return new R2MultipartUpload(kToken, this.#stub, key, uploadId);
  }

  resumeMultipartUpload(key, uploadId) {
    key = checkKey("resumeMultipartUpload", key);
    if (typeof uploadId !== "string") throw new $TypeError("resumeMultipartUpload: the uploadId must be a string");
    return new R2MultipartUpload(kToken, this.#stub, key, uploadId);
  }
}

// An upload in progress (createMultipartUpload, or resumeMultipartUpload in any request): its
// parts are kept by the engine until complete() or abort().
class R2MultipartUpload {
  #stub;
  constructor(token, stub, key, uploadId) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#stub = stub;
    this.key = key;
    this.uploadId = uploadId;
  }

  async uploadPart(partNumber, value, options = undefined) {
    const number = $Number(partNumber);
    if (!NumberIsInteger(number) || number < 1 || number > MAX_PARTS) {
      throw new $TypeError(`Part number must be between 1 and ${MAX_PARTS} (inclusive). Actual value was: ${$String(partNumber)}`);
    }
    refuseSsec("uploadPart", options);
    const sent = await sendBody("uploadPart", this.#stub, sourceOf("uploadPart", value), undefined);
    return this.#stub.call("uploadPart", "r2UploadPart", [this.uploadId, this.key, number, sent.body, sent.size, sent.md5]);
  }

  async abort() {
    await this.#stub.call("abortMultipartUpload", "r2AbortUpload", [this.uploadId, this.key]);
  }

  async complete(uploadedParts) {
    if (!ArrayIsArray(uploadedParts)) throw new $TypeError("complete: expected an array of R2UploadedPart ({partNumber, etag})");
    const parts = uploadedParts.map((part) => {
      if (part === null || typeof part !== "object") throw new $TypeError("complete: each part is an R2UploadedPart ({partNumber, etag})");
      return { partNumber: $Number(part.partNumber), etag: $String(part.etag) };
    });
    const stored = await this.#stub.call("completeMultipartUpload", "r2CompleteUpload", [this.uploadId, this.key, parts]);
    return new R2Object(kToken, stored);
  }
}

// ---------------------------------------------------------------------------------------------
// Bindings and engines

const stubs = new $Map();

// env.NAME for [tenants.r2] NAME = "bucket". Loads durable_objects with the context: its hook
// takes the calls other processes forward to the bucket this one runs.
export function newBucket(name) {
  let stub = stubs.get(name);
  if (stub === undefined) {
    stub = new EngineStub(objects().engineClassName("r2", name.replaceAll("-", "$")));
    stubs.set(name, stub);
  }
  return new R2Bucket(kToken, stub);
}

// durable_objects.js's class for a bucket's engine name.
export function engineClass(name) {
  return R2Engine;
}

export { R2Bucket, R2MultipartUpload, R2Object, R2ObjectBody, R2Checksums, R2Error };
