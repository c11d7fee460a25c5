// Durable Object storage's rows (durable_objects.js): the key-value API's statements on the
// object's SQLite database (table _cf_KV, the alarm in _atoll_alarm), run synchronously through
// native.doExec (bindings/durable_objects.h). Limits as Workers documents them
// (https://developers.cloudflare.com/durable-objects/platform/limits/).
const $TypeError = TypeError;
const $RangeError = RangeError;
const $String = String;
const $Number = Number;
const $Map = Map;
const MAX_KEY_BYTES = 2048;
const MAX_VALUE_BYTES = 128 * 1024;

// The capability the storage classes' constructors take (they are not constructible by a tenant).
export const kToken = Symbol("token");

let savepoints = 0;

// A fresh SQLite savepoint name ("s1", "t2", ...).
export function nextSavepoint(prefix) {
  return `${prefix}${++savepoints}`;
}

export function exec(entry, sql, bindings) {
  return native.doExec(entry.handle, sql, bindings);
}

export function checkKey(key) {
  if (typeof key !== "string") key = $String(key);
  if (key.length > MAX_KEY_BYTES) {
    throw new $RangeError(`Keys cannot be larger than ${MAX_KEY_BYTES} bytes.`);
  }
  return key;
}

function serialize(value) {
  if (value === undefined) throw new $TypeError("Durable Object storage cannot store undefined");
  const bytes = native.doSerialize(value);
  if (bytes.byteLength > MAX_VALUE_BYTES) {
    throw new $RangeError(`Values cannot be larger than ${MAX_VALUE_BYTES} bytes. A value of size ${bytes.byteLength} was provided.`);
  }
  return bytes;
}

export function getOne(entry, key) {
  const [, cells] = exec(entry, "SELECT value FROM _cf_KV WHERE key = ?", [checkKey(key)]);
  return cells.length === 0 ? undefined : native.doDeserialize(cells[0]);
}

export function putOne(entry, key, value) {
  exec(entry, "INSERT OR REPLACE INTO _cf_KV(key, value) VALUES (?, ?)", [checkKey(key), serialize(value)]);
}

export function deleteOne(entry, key) {
  return exec(entry, "DELETE FROM _cf_KV WHERE key = ?", [checkKey(key)])[3] > 0;
}

export function listSync(entry, options) {
  options = options ?? {};
  const where = [];
  const bindings = [];
  if (options.prefix !== undefined) {
    where.push("substr(key, 1, length(?)) = ?");
    bindings.push($String(options.prefix), $String(options.prefix));
  }
  if (options.start !== undefined) { where.push("key >= ?"); bindings.push($String(options.start)); }
  if (options.startAfter !== undefined) { where.push("key > ?"); bindings.push($String(options.startAfter)); }
  if (options.end !== undefined) { where.push("key < ?"); bindings.push($String(options.end)); }
  let sql = "SELECT key, value FROM _cf_KV";
  if (where.length > 0) sql += " WHERE " + where.join(" AND ");
  sql += options.reverse ? " ORDER BY key DESC" : " ORDER BY key ASC";
  if (options.limit !== undefined) {
    const limit = $Number(options.limit);
    if (!(limit > 0)) throw new $TypeError("List limit must be positive.");
    sql += " LIMIT ?";
    bindings.push(limit);
  }
  const [, cells] = exec(entry, sql, bindings);
  const out = new $Map();
  for (let i = 0; i < cells.length; i += 2) out.set(cells[i], native.doDeserialize(cells[i + 1]));
  return out;
}


export function atomically(entry, fn) {
  const name = nextSavepoint("s");
  exec(entry, `SAVEPOINT ${name}`, []);
  try {
    const result = fn();
    exec(entry, `RELEASE ${name}`, []);
    return result;
  } catch (e) {
    exec(entry, `ROLLBACK TO ${name}`, []);
    exec(entry, `RELEASE ${name}`, []);
    throw e;
  }
}

export function alarmOf(entry) {
  const [, cells] = exec(entry, "SELECT at FROM _atoll_alarm", []);
  return cells.length === 0 ? null : cells[0];
}
