// ctx.storage of a Durable Object (https://developers.cloudflare.com/durable-objects/api/storage-api/):
// the key-value API, transactions and alarms, on the rows of durable_objects/storage_rows.js.
import {
  alarmOf, atomically, checkKey, deleteOne, exec, getOne, kToken, listSync, nextSavepoint, putOne,
} from "./storage_rows.js";
import { SqlStorage } from "./sql.js";

const $TypeError = TypeError;
const $RangeError = RangeError;
const $Promise = Promise;
const $Map = Map;
const $Date = Date;
const $Number = Number;
const ArrayIsArray = Array.isArray;
const ObjectKeys = Object.keys;
const NumberIsFinite = Number.isFinite;

function promised(fn) {
  try {
    return $Promise.resolve(fn());
  } catch (e) {
    return $Promise.reject(e);
  }
}

// ctx.storage. `gates` holds the object's output and input gates (durable_objects.js):
// written(entry, promise), a write's promise released once durable; hold(entry, promise), the
// object's other events held until it settles.
export class DurableObjectStorage {
  #entry;
  #sql;
  #gates;
  constructor(token, entry, gates) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#entry = entry;
    this.#gates = gates;
    this.#sql = new SqlStorage(kToken, entry);
  }
  get sql() { return this.#sql; }
  get(keys, options = undefined) { return promised(() => this.getSync(keys)); }
  getSync(keys) {
    const entry = this.#entry;
    if (!ArrayIsArray(keys)) return getOne(entry, keys);
    if (keys.length > 128) throw new $RangeError("Maximum number of keys is 128.");
    const out = new $Map();
    const sorted = keys.map(checkKey).sort();
    for (const key of sorted) {
      const value = getOne(entry, key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }
  put(key, value = undefined, options = undefined) { return this.#gates.written(this.#entry, promised(() => this.putSync(key, value))); }
  putSync(key, value) {
    const entry = this.#entry;
    if (key !== null && typeof key === "object") {
      const keys = ObjectKeys(key);
      if (keys.length > 128) throw new $RangeError("Maximum number of pairs is 128.");
      atomically(entry, () => { for (const k of keys) putOne(entry, k, key[k]); });
      return;
    }
    putOne(entry, key, value);
  }
  delete(keys, options = undefined) { return this.#gates.written(this.#entry, promised(() => this.deleteSync(keys))); }
  deleteSync(keys) {
    const entry = this.#entry;
    if (!ArrayIsArray(keys)) return deleteOne(entry, keys);
    let count = 0;
    atomically(entry, () => { for (const key of keys) if (deleteOne(entry, key)) count++; });
    return count;
  }
  list(options = undefined) { return promised(() => listSync(this.#entry, options)); }
  deleteAll(options = undefined) {
    return this.#gates.written(this.#entry, promised(() => {
      exec(this.#entry, "DELETE FROM _cf_KV", []);
    }));
  }
  // The closure's storage calls commit together, or none of them if it throws (or calls
  // txn.rollback()); the object's other events wait meanwhile.
  transaction(closure) {
    const entry = this.#entry;
    const txn = new DurableObjectTransaction(kToken, this);
    const name = nextSavepoint("t");
    exec(entry, `SAVEPOINT ${name}`, []);
    const outermost = entry.txns++ === 0;
    const run = (async () => closure(txn))();
    this.#gates.hold(entry, run);
    const done = run.then((value) => {
      entry.txns--;
      if (txn.rolledBack) exec(entry, `ROLLBACK TO ${name}`, []);
      exec(entry, `RELEASE ${name}`, []);
      return value;
    }, (error) => {
      entry.txns--;
      exec(entry, `ROLLBACK TO ${name}`, []);
      exec(entry, `RELEASE ${name}`, []);
      throw error;
    });
    if (outermost) entry.txnRun = done;
    return this.#gates.written(entry, done);
  }
  transactionSync(fn) {
    return atomically(this.#entry, fn);
  }
  sync() { return $Promise.resolve(); }
  getAlarm(options = undefined) { return promised(() => alarmOf(this.#entry)); }
  setAlarm(time, options = undefined) {
    return this.#gates.written(this.#entry, promised(() => {
      const entry = this.#entry;
      const at = time instanceof $Date ? time.getTime() : $Number(time);
      if (!NumberIsFinite(at)) throw new $TypeError("setAlarm() requires a Date or a number of milliseconds");
      if (typeof entry.instance?.alarm !== "function" && entry.instance !== null) {
        throw new $TypeError("Your Durable Object class must have an alarm() handler in order to call setAlarm()");
      }
      // The index first: an index row without an alarm is dropped when it fires; the reverse
      // would be an alarm never fired.
      native.doAlarmIndex(entry.className, entry.hex, at, false);
      exec(entry, "INSERT OR REPLACE INTO _atoll_alarm(one, at) VALUES (1, ?)", [at]);
      entry.alarmWrites++;
    }));
  }
  deleteAlarm(options = undefined) {
    return this.#gates.written(this.#entry, promised(() => {
      const entry = this.#entry;
      exec(entry, "DELETE FROM _atoll_alarm", []);
      native.doAlarmIndex(entry.className, entry.hex, -1, true);
      entry.alarmWrites++;
    }));
  }
}

class DurableObjectTransaction {
  #storage;
  constructor(token, storage) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#storage = storage;
    this.rolledBack = false;
  }
  get(keys, options) { return this.#storage.get(keys, options); }
  put(key, value, options) { return this.#storage.put(key, value, options); }
  delete(keys, options) { return this.#storage.delete(keys, options); }
  list(options) { return this.#storage.list(options); }
  getAlarm(options) { return this.#storage.getAlarm(options); }
  setAlarm(time, options) { return this.#storage.setAlarm(time, options); }
  deleteAlarm(options) { return this.#storage.deleteAlarm(options); }
  rollback() { this.rolledBack = true; }
}
