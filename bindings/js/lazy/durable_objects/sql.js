// ctx.storage.sql's classes (durable_objects.js): statements a tenant runs on its object's own
// SQLite database, the internal tables refused.
import { exec, kToken } from "./storage_rows.js";

const $TypeError = TypeError;
const $Error = Error;
const $String = String;

// ctx.storage.sql (https://developers.cloudflare.com/durable-objects/api/storage-api/#sql-api).
export class SqlStorage {
  #entry;
  constructor(token, entry) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#entry = entry;
  }
  exec(query, ...bindings) {
    query = $String(query);
    if (/_cf_|_atoll_/i.test(query)) throw new $Error(`not authorized: access to internal tables (_cf_*) in: ${query}`);
    return new SqlStorageCursor(kToken, exec(this.#entry, query, bindings));
  }
  get databaseSize() { return native.doSize(this.#entry.handle); }
}

class SqlStorageCursor {
  #columns;
  #cells;
  #next = 0;
  constructor(token, [columns, cells, read, written]) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#columns = columns;
    this.#cells = cells;
    this.rowsRead = read;
    this.rowsWritten = written;
  }
  get columnNames() { return this.#columns; }
  #rowCount() { return this.#columns.length === 0 ? 0 : this.#cells.length / this.#columns.length; }
  #take(asArray) {
    if (this.#next >= this.#rowCount()) return undefined;
    const width = this.#columns.length;
    const base = this.#next++ * width;
    if (asArray) return this.#cells.slice(base, base + width);
    const row = {};
    for (let c = 0; c < width; c++) row[this.#columns[c]] = this.#cells[base + c];
    return row;
  }
  next() {
    const row = this.#take(false);
    return row === undefined ? { done: true, value: undefined } : { done: false, value: row };
  }
  toArray() {
    const out = [];
    for (let row; (row = this.#take(false)) !== undefined;) out.push(row);
    return out;
  }
  one() {
    const rows = this.toArray();
    if (rows.length === 0) throw new $Error("Expected exactly one result from SQL query, but got no results.");
    if (rows.length > 1) throw new $Error("Expected exactly one result from SQL query, but got multiple results.");
    return rows[0];
  }
  raw() {
    const cursor = this;
    const it = {
      next() {
        const row = cursor.#take(true);
        return row === undefined ? { done: true, value: undefined } : { done: false, value: row };
      },
      toArray() {
        const out = [];
        for (let row; (row = cursor.#take(true)) !== undefined;) out.push(row);
        return out;
      },
      [Symbol.iterator]() { return it; },
    };
    return it;
  }
  [Symbol.iterator]() { return this; }
}
