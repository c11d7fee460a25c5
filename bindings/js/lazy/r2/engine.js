// An R2 bucket's engine (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/):
// the Durable Object of an engine class that holds one bucket of one tenant (r2.js), its
// objects in the object's SQLite database. An object is a row of `objects` and its body the
// rows of `chunks` of its blob (at most CHUNK_BYTES each, keyed by the byte they start at), so
// that a range read reads only the chunks it covers. A body larger than a chunk comes in
// several calls: staged into a blob of its own (`staged`, dropped after STAGED_TTL_MS unless
// committed), then committed by the put in one transaction, or kept as a multipart upload's
// part, whose chunks become the object's (moved, not copied) when the upload completes.
// Failures the caller reports as R2Errors are answered as { error: [code, message] }.
import { hexOf } from "./objects.js";

const $Map = Map;
const DateNow = Date.now;
const MathMax = Math.max;
const MathMin = Math.min;
const JSONStringify = JSON.stringify;

export const CHUNK_BYTES = 1024 * 1024;
// What one call carries at most, in and out: a few chunks, so that a body crossing to another
// process costs few calls (each a subrequest of the request there) and bounded memory.
export const CALL_BYTES = 8 * CHUNK_BYTES;
const STAGED_TTL_MS = 60 * 60 * 1000;
const UPLOAD_TTL_MS = 7 * 24 * 60 * 60 * 1000;  // R2 aborts an upload left for 7 days
const MAX_PARTS = 10000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, blob INTEGER NOT NULL, version TEXT NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, uploaded INTEGER NOT NULL, http TEXT NOT NULL, custom TEXT NOT NULL,
  checksums TEXT NOT NULL, storage_class TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY AUTOINCREMENT, staged_at INTEGER);
CREATE TABLE IF NOT EXISTS chunks (blob INTEGER NOT NULL, start INTEGER NOT NULL, len INTEGER NOT NULL, bytes BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_at ON chunks(blob, start, len);
CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, key TEXT NOT NULL, http TEXT NOT NULL, custom TEXT NOT NULL,
  storage_class TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS parts (upload TEXT NOT NULL, number INTEGER NOT NULL, blob INTEGER NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, md5 TEXT NOT NULL, PRIMARY KEY (upload, number));
CREATE INDEX IF NOT EXISTS blobs_staged ON blobs(staged_at) WHERE staged_at IS NOT NULL`;

const META = "key, version, size, etag, uploaded, http, custom, checksums, storage_class AS storageClass";

function randomHex(bytes) {
  const view = new Uint8Array(bytes);
  internal.require("crypto").crypto.getRandomValues(view);
  let out = "";
  for (let i = 0; i < view.length; i++) out += (view[i] < 16 ? "0" : "") + view[i].toString(16);
  return out;
}

// Whether `cond` (objects.js conditionalOf) lets the operation go on for `row` (or none). As
// HTTP's rules: a matching If-Match makes If-Unmodified-Since moot, a passing If-None-Match
// If-Modified-Since.
export function conditionHolds(cond, row) {
  if (cond === undefined) return true;
  if (row === undefined) return cond.etagMatches === undefined;
  const uploaded = cond.seconds ? Math.floor(row.uploaded / 1000) * 1000 : row.uploaded;
  const listed = (etags) => etags.includes("*") || etags.includes(row.etag);
  if (cond.etagMatches !== undefined && !listed(cond.etagMatches)) return false;
  if (cond.etagDoesNotMatch !== undefined && listed(cond.etagDoesNotMatch)) return false;
  if (cond.uploadedBefore !== undefined && cond.etagMatches === undefined && !(uploaded < cond.uploadedBefore)) return false;
  if (cond.uploadedAfter !== undefined && cond.etagDoesNotMatch === undefined && !(uploaded > cond.uploadedAfter)) return false;
  return true;
}

// The range asked for (objects.js rangeOf) of an object of `size` bytes, as { offset, length }.
export function resolveRange(range, size) {
  if (range === undefined) return { offset: 0, length: size };
  if (range.suffix !== undefined) {
    const length = MathMin(range.suffix, size);
    return { offset: size - length, length };
  }
  const offset = range.offset ?? 0;
  if (offset > size || (offset === size && size > 0 && range.length !== 0)) return undefined;
  const length = MathMin(range.length ?? size - offset, size - offset);
  return { offset, length };
}

// One bucket: the methods r2.js calls (r2Head, r2Get, r2Read, r2Stage, r2Drop, r2Put, r2Delete,
// r2List, r2CreateUpload, r2UploadPart, r2AbortUpload, r2CompleteUpload), each one event of the
// object, its writes one transaction.
export class R2Engine {
  #storage;
  #sql;
  #swept = 0;
  constructor(state) {
    this.#storage = state.storage;
    this.#sql = state.storage.sql;
    this.#sql.exec(SCHEMA);
    this.#sweep();
  }

  // Staged blobs no put committed (its caller went away) and uploads left for 7 days: when the
  // object starts, and then at most every SWEEP_EVERY_MS when a body or an upload begins.
  #sweep() {
    const now = DateNow();
    if (now - this.#swept < SWEEP_EVERY_MS) return;
    this.#swept = now;
    this.#storage.transactionSync(() => {
      for (const { id } of this.#sql.exec("SELECT id FROM blobs WHERE staged_at IS NOT NULL AND staged_at < ?", now - STAGED_TTL_MS).toArray()) {
        this.#dropBlob(id);
      }
      for (const { id } of this.#sql.exec("SELECT id FROM uploads WHERE created < ?", now - UPLOAD_TTL_MS).toArray()) {
        this.#dropUpload(id);
      }
    });
  }

  #dropBlob(blob) {
    this.#sql.exec("DELETE FROM chunks WHERE blob = ?", blob);
    this.#sql.exec("DELETE FROM blobs WHERE id = ?", blob);
  }

  #dropUpload(id) {
    for (const { blob } of this.#sql.exec("SELECT blob FROM parts WHERE upload = ?", id).toArray()) this.#dropBlob(blob);
    this.#sql.exec("DELETE FROM parts WHERE upload = ?", id);
    this.#sql.exec("DELETE FROM uploads WHERE id = ?", id);
  }

  #row(key) {
    return this.#sql.exec(`SELECT ${META}, blob FROM objects WHERE key = ?`, key).toArray()[0];
  }

  #newBlob(staged) {
    return this.#sql.exec("INSERT INTO blobs (staged_at) VALUES (?) RETURNING id", staged ? DateNow() : null).one().id;
  }

  // The bytes [offset, offset + length) of `blob`, from the chunks that hold them.
  #read(blob, offset, length) {
    const out = new Uint8Array(length);
    if (length === 0) return out.buffer;
    const end = offset + length;
    const rows = this.#sql.exec("SELECT start, len, bytes FROM chunks WHERE blob = ? AND start < ? AND start + len > ? ORDER BY start",
                                blob, end, offset).toArray();
    let filled = 0;
    for (const { start, len, bytes } of rows) {
      const from = MathMax(offset, start), to = MathMin(end, start + len);
      out.set(new Uint8Array(bytes, from - start, to - from), from - offset);
      filled += to - from;
    }
    if (filled !== length) throw new Error("r2: the object changed while it was read (it was overwritten or deleted)");
    return out.buffer;
  }

  // `bytes` (a Uint8Array) from byte `start` of `blob`, as rows of CHUNK_BYTES at most.
  #insert(blob, start, bytes) {
    for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) {
      const piece = bytes.subarray(at, MathMin(at + CHUNK_BYTES, bytes.byteLength));
      this.#sql.exec("INSERT INTO chunks (blob, start, len, bytes) VALUES (?, ?, ?, ?)", blob, start + at, piece.byteLength, piece);
    }
  }

  // A body too large for one call: CALL_BYTES at most from byte `start` of a staged blob (0: a
  // new one).
  r2Stage(blob, start, bytes) {
    if (blob === 0) this.#sweep();
    return this.#storage.transactionSync(() => {
      if (blob === 0) blob = this.#newBlob(true);
      else if (this.#sql.exec("SELECT 1 FROM blobs WHERE id = ? AND staged_at IS NOT NULL", blob).toArray().length === 0) {
        return { error: [10013, "The body was not received whole (its staged chunks were dropped)."] };
      }
      this.#insert(blob, start, bytes);
      return { blob };
    });
  }

  // A staged blob its put will not commit (the body failed or was too large).
  r2Drop(blob) {
    this.#storage.transactionSync(() => {
      if (this.#sql.exec("SELECT 1 FROM blobs WHERE id = ? AND staged_at IS NOT NULL", blob).toArray().length > 0) this.#dropBlob(blob);
    });
  }

  // body: { blob } (staged, of `size` bytes) or { bytes } (CALL_BYTES at most).
  #takeBody(body) {
    if (body.blob !== undefined) {
      this.#sql.exec("UPDATE blobs SET staged_at = NULL WHERE id = ?", body.blob);
      return body.blob;
    }
    const blob = this.#newBlob(false);
    this.#insert(blob, 0, body.bytes);
    return blob;
  }

  #checkStaged(body) {
    if (body.blob === undefined) return true;
    return this.#sql.exec("SELECT 1 FROM blobs WHERE id = ? AND staged_at IS NOT NULL", body.blob).toArray().length > 0;
  }

  // The object `meta` replaces whatever `key` held (its chunks go).
  #store(key, blob, meta) {
    const old = this.#row(key);
    if (old !== undefined) this.#dropBlob(old.blob);
    this.#sql.exec(`INSERT OR REPLACE INTO objects (key, blob, version, size, etag, uploaded, http, custom, checksums, storage_class)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, key, blob, meta.version, meta.size, meta.etag, meta.uploaded,
                   meta.http, meta.custom, meta.checksums, meta.storageClass);
    return { key, ...meta };
  }

  r2Head(key) {
    const row = this.#row(key);
    return row === undefined ? null : row;
  }

  // { meta, failed } when onlyIf does not hold; else { meta, range, bytes (the first piece), blob }.
  r2Get(key, cond, range) {
    const row = this.#row(key);
    if (row === undefined) return null;
    if (!conditionHolds(cond, row)) return { meta: row, failed: true };
    const resolved = resolveRange(range, row.size);
    if (resolved === undefined) return { error: [10039, "The requested range is not satisfiable."] };
    const first = MathMin(resolved.length, CALL_BYTES);
    return { meta: row, range: resolved, blob: row.blob, version: row.version, bytes: this.#read(row.blob, resolved.offset, first) };
  }

  // The next piece of a body being read (CALL_BYTES at most).
  r2Read(key, version, offset, length) {
    const row = this.#row(key);
    if (row === undefined || row.version !== version) {
      return { error: [10007, "The object was overwritten or deleted while its body was read."] };
    }
    return { bytes: this.#read(row.blob, offset, MathMin(length, CALL_BYTES)) };
  }

  // null when onlyIf does not hold.
  r2Put(key, body, meta, cond) {
    return this.#storage.transactionSync(() => {
      if (!this.#checkStaged(body)) return { error: [10013, "The body was not received whole (its staged chunks were dropped)."] };
      if (!conditionHolds(cond, this.#row(key))) {
        if (body.blob !== undefined) this.#dropBlob(body.blob);
        return null;
      }
      return this.#store(key, this.#takeBody(body), { ...meta, version: randomHex(16), uploaded: DateNow() });
    });
  }

  r2Delete(keys) {
    this.#storage.transactionSync(() => {
      for (const key of keys) {
        const row = this.#row(key);
        if (row === undefined) continue;
        this.#dropBlob(row.blob);
        this.#sql.exec("DELETE FROM objects WHERE key = ?", key);
      }
    });
  }

  // { objects, truncated, cursor, delimitedPrefixes }: keys after `after` (exclusive, or every key
  // of the prefix `skip` left out), in UTF-8 order, objects and delimited prefixes counting
  // toward `limit`.
  r2List({ prefix, after, skip, delimiter, limit }) {
    const objects = [];
    const prefixes = [];
    let from = after, fromSkip = skip;
    let truncated = false;
    let last;
    const upper = prefix === "" ? undefined : successor(prefix);
    outer:
    for (;;) {
      const bound = fromSkip !== undefined ? successor(fromSkip) : undefined;
      const rows = this.#sql.exec(
          `SELECT ${META} FROM objects WHERE key >= ? AND (? IS NULL OR key > ?) AND (? IS NULL OR key >= ?) AND (? IS NULL OR key < ?)
           ORDER BY key LIMIT ?`, prefix, from ?? null, from ?? null, bound ?? null, bound ?? null, upper ?? null, upper ?? null,
          limit + 1).toArray();
      if (rows.length === 0) break;
      for (const row of rows) {
        if (objects.length + prefixes.length === limit) {
          truncated = true;
          break outer;
        }
        const at = delimiter === "" ? -1 : row.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = row.key.slice(0, at + delimiter.length);
          prefixes.push(common);
          last = { skip: common };
          from = undefined;
          fromSkip = common;
          continue outer;  // past every key of this prefix
        }
        objects.push(row);
        last = { after: row.key };
        from = row.key;
        fromSkip = undefined;
      }
      if (rows.length <= limit) break;
    }
    return { objects, truncated, last: truncated ? last : undefined, delimitedPrefixes: prefixes };
  }

  r2CreateUpload(key, meta) {
    this.#sweep();
    const id = randomHex(24);
    this.#sql.exec("INSERT INTO uploads (id, key, http, custom, storage_class, created) VALUES (?, ?, ?, ?, ?, ?)",
                   id, key, meta.http, meta.custom, meta.storageClass, DateNow());
    return { uploadId: id };
  }

  #upload(id, key) {
    return this.#sql.exec("SELECT * FROM uploads WHERE id = ? AND key = ?", id, key).toArray()[0];
  }

  r2UploadPart(id, key, number, body, size, md5) {
    return this.#storage.transactionSync(() => {
      if (this.#upload(id, key) === undefined) {
        if (body.blob !== undefined) this.#dropBlob(body.blob);
        return { error: [10024, "The specified multipart upload does not exist."] };
      }
      if (!this.#checkStaged(body)) return { error: [10013, "The body was not received whole (its staged chunks were dropped)."] };
      const old = this.#sql.exec("SELECT blob FROM parts WHERE upload = ? AND number = ?", id, number).toArray()[0];
      if (old !== undefined) this.#dropBlob(old.blob);
      const etag = randomHex(16);
      this.#sql.exec("INSERT OR REPLACE INTO parts (upload, number, blob, size, etag, md5) VALUES (?, ?, ?, ?, ?, ?)",
                     id, number, this.#takeBody(body), size, etag, md5);
      return { partNumber: number, etag };
    });
  }

  r2AbortUpload(id, key) {
    return this.#storage.transactionSync(() => {
      if (this.#upload(id, key) === undefined) return { error: [10024, "The specified multipart upload does not exist."] };
      this.#dropUpload(id);
      return {};
    });
  }

  // The parts (each {partNumber, etag} of an uploadPart) in order become the object: their
  // chunks are renumbered into one blob, the etag is the MD5 of their MD5s and "-<count>".
  r2CompleteUpload(id, key, parts) {
    return this.#storage.transactionSync(() => {
      const upload = this.#upload(id, key);
      if (upload === undefined) return { error: [10024, "The specified multipart upload does not exist."] };
      const stored = new $Map(this.#sql.exec("SELECT * FROM parts WHERE upload = ?", id).toArray().map((p) => [p.number, p]));
      const chosen = [];
      for (const { partNumber, etag } of parts) {
        const part = stored.get(partNumber);
        if (part === undefined || part.etag !== etag) return { error: [10025, "One or more of the specified parts could not be found."] };
        if (chosen.length > 0 && chosen[chosen.length - 1].number >= partNumber) {
          return { error: [10025, "The list of parts was not in ascending order, or named a part twice."] };
        }
        chosen.push(part);
      }
      const blob = this.#newBlob(false);
      let size = 0;
      for (const part of chosen) {
        // A row at a time: an UPDATE of many rows would want a statement journal (a temp file).
        const rows = this.#sql.exec("SELECT rowid AS id, start FROM chunks WHERE blob = ?", part.blob).toArray();
        for (const { id: row, start } of rows) this.#sql.exec("UPDATE chunks SET blob = ?, start = ? WHERE rowid = ?", blob, start + size, row);
        this.#sql.exec("DELETE FROM blobs WHERE id = ?", part.blob);
        size += part.size;
      }
      const etag = `${md5OfHexes(chosen.map((p) => p.md5))}-${chosen.length}`;
      this.#dropUpload(id);
      return this.#store(key, blob, {
        version: randomHex(16), size, etag, uploaded: DateNow(), http: upload.http, custom: upload.custom,
        checksums: JSONStringify({}), storageClass: upload.storage_class,
      });
    });
  }
}

export { MAX_PARTS };

// S3's multipart etag: the MD5 of the parts' MD5s (their bytes, in order).
function md5OfHexes(hexes) {
  const state = native.cryptoDigestInit("MD5");
  for (const hex of hexes) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    native.cryptoDigestUpdate(state, bytes);
  }
  return hexOf(native.cryptoDigestFinal(state));
}

// The least string above every string that starts with `s` (s's last UTF-16 unit plus one).
function successor(s) {
  return s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1);
}
