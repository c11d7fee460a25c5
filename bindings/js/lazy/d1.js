// D1 (https://developers.cloudflare.com/d1/worker-api/): env.NAME for a [tenants.d1] binding is
// a D1Database: prepare(sql).bind(...).first/all/run/raw, batch([...]) (one transaction),
// exec(sql), withSession(). A database is a Durable Object of an engine class ("0d1_" + the
// database's name, "-" as "$": a name no tenant class can have), as D1 itself is built on
// Durable Objects: one SQLite file under data_dir/do/, one owner process (calls from the
// other worker processes are forwarded), its statements run one at a time. The tables the
// objects' storage keeps for itself (_cf_*) are refused, as in D1.
const $TypeError = TypeError;
const $Error = Error;
const $String = String;
const $Uint8Array = Uint8Array;
const $ArrayBuffer = ArrayBuffer;
const ArrayIsArray = Array.isArray;
const ArrayFrom = Array.from;
const ArrayBufferIsView = ArrayBuffer.isView;
const JSONParse = JSON.parse;
const $Map = Map;
const kToken = Symbol("d1");

const OBJECT_NAME = "database";

function d1Error(message, cause = undefined) {
  const e = new $Error(`D1_ERROR: ${message}`);
  if (cause !== undefined) e.cause = cause;
  return e;
}

// A bound value as D1 takes it: null, numbers, strings, booleans (0/1), bytes.
function checkValue(value, index) {
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof $ArrayBuffer) return value;
  if (ArrayBufferIsView(value)) return new $Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice().buffer;
  if (ArrayIsArray(value) && value.every((b) => typeof b === "number")) return new $Uint8Array(value).buffer;
  throw new $TypeError(`D1_TYPE_ERROR: Type '${value === undefined ? "undefined" : typeof value}' not supported for value '${$String(value)}' (parameter ${index + 1})`);
}

// ---------------------------------------------------------------------------------------------
// The caller's side

// Set by the classes' static blocks: what a statement is as the engine runs it, and the call to
// the engine (neither is a member a tenant can reach).
let planOf;
let runPlans;

class D1PreparedStatement {
  #database;
  #sql;
  #params;
  constructor(token, database, sql, params) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#database = database;
    this.#sql = sql;
    this.#params = params;
  }
  static {
    planOf = (statement, mode, column = undefined) => ({ sql: statement.#sql, params: statement.#params, mode, column });
  }
  bind(...values) {
    return new D1PreparedStatement(kToken, this.#database, this.#sql, values.map(checkValue));
  }
  async #one(mode, column = undefined) { return (await runPlans(this.#database, [planOf(this, mode, column)], false))[0]; }
  async first(column = undefined) {
    if (column !== undefined && typeof column !== "string") throw new $TypeError("first(): the column name must be a string");
    return this.#one("first", column);
  }
  async all() { return this.#one("all"); }
  async run() { return this.#one("all"); }
  async raw(options = undefined) { return this.#one(options?.columnNames ? "raw-names" : "raw"); }
}

class D1DatabaseSession {
  #database;
  constructor(token, database) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#database = database;
  }
  prepare(sql) { return this.#database.prepare(sql); }
  batch(statements) { return this.#database.batch(statements); }
  // One copy of each database (no read replicas): no bookmark to carry.
  getBookmark() { return null; }
}

class D1Database {
  #stub;
  constructor(token, stub) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#stub = stub;
  }
  prepare(sql) {
    if (typeof sql !== "string") throw new $TypeError("prepare(): the query must be a string");
    return new D1PreparedStatement(kToken, this, sql, []);
  }
  async batch(statements) {
    if (!ArrayIsArray(statements) || !statements.every((s) => s instanceof D1PreparedStatement)) {
      throw new $TypeError("batch(): expected an array of D1PreparedStatement");
    }
    if (statements.length === 0) return [];
    return runPlans(this, statements.map((s) => planOf(s, "all")), true);
  }
  async exec(sql) {
    if (typeof sql !== "string") throw new $TypeError("exec(): the query must be a string");
    return this.#stub.d1Exec(sql);
  }
  withSession(constraintOrBookmark = undefined) { return new D1DatabaseSession(kToken, this); }
  async dump() { throw new $Error("D1_DUMP_ERROR: dump() is not supported (it is not in D1's current API either)"); }
  static {
    runPlans = (database, plans, atomic) => database.#stub.d1Run(plans, atomic);
  }
}

// Each database's migrations ([file, sql] in order), by engine class name: this context's
// bindings say them (every worker process makes the same bindings), the engine applies them.
const migrationsOf = new $Map();

// `binding` is config/env_d1.cc's JSON: {"name": "...", "migrations": [[file, sql], ...]}.
export function newDatabase(binding) {
  const { name, migrations } = JSONParse(binding);
  // Loaded with the context, not at the first call: the module's hook is what takes the calls
  // other processes forward to the database this one runs.
  const objects = internal.require("durable_objects");
  const engineName = name.replaceAll("-", "$");
  migrationsOf.set(engineName, migrations);
  const className = objects.engineClassName("d1", engineName);
  return new D1Database(kToken, new EngineStub(objects, className, objects.newNamespace(className).idFromName(OBJECT_NAME).toString()));
}

// The database's object: platformCall (durable_objects.js) runs it here without cloning what is
// passed (checkValue copied the bytes a tenant bound; the engine makes fresh results), or
// forwards the call to the process that runs it.
class EngineStub {
  #objects;
  #className;
  #hex;
  constructor(objects, className, hex) {
    this.#objects = objects;
    this.#className = className;
    this.#hex = hex;
  }
  #call(method, args) { return this.#objects.platformCall(this.#className, this.#hex, method, args); }
  d1Run(plans, atomic) { return this.#call("d1Run", [plans, atomic]); }
  d1Exec(sql) { return this.#call("d1Exec", [sql]); }
}

// ---------------------------------------------------------------------------------------------
// The engine (the database's Durable Object)

// A cell as D1 answers it: bytes as an array of numbers.
function cellOf(value) {
  return value instanceof $ArrayBuffer ? ArrayFrom(new $Uint8Array(value)) : value;
}

// How many statements `sql` holds (exec()'s count): semicolons outside quotes and comments.
function countStatements(sql) {
  let count = 0, any = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      i = sql.indexOf(close, i + 1);
      if (i < 0) break;
      any = true;
    } else if (c === "-" && sql[i + 1] === "-") {
      i = sql.indexOf("\n", i);
      if (i < 0) break;
    } else if (c === "/" && sql[i + 1] === "*") {
      i = sql.indexOf("*/", i + 2);
      if (i < 0) break;
      i++;
    } else if (c === ";") {
      if (any) count++;
      any = false;
    } else if (c !== " " && c !== "\n" && c !== "\t" && c !== "\r") {
      any = true;
    }
  }
  return any ? count + 1 : count;
}

// wrangler's table of applied migrations (`wrangler d1 migrations apply` keeps the same one).
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`;

class D1Engine {
  #sql;
  #storage;
  #migrations;
  #migrated = false;
  constructor(state, env, migrations) {
    this.#storage = state.storage;
    this.#sql = state.storage.sql;
    this.#migrations = migrations;
  }

  // Before the first statement: the migrations not applied yet, in order, each in a transaction
  // with its row in d1_migrations. A failed one fails this call (and is tried again by the next).
  #migrate() {
    if (this.#migrated) return;
    if (this.#migrations.length > 0) {
      this.#sql.exec(MIGRATIONS_TABLE);
      const applied = new $Map(this.#sql.exec("SELECT name FROM d1_migrations").raw().toArray().map(([n]) => [n, true]));
      for (const [file, sql] of this.#migrations) {
        if (applied.has(file)) continue;
        try {
          this.#storage.transactionSync(() => {
            this.#sql.exec(sql);
            this.#sql.exec("INSERT INTO d1_migrations(name) VALUES (?)", file);
          });
        } catch (e) {
          throw d1Error(`migration ${file} failed: ${e.message}`, e);
        }
      }
    }
    this.#migrated = true;
  }

  #exec(sql, params) {
    try {
      return this.#sql.exec(sql, ...params);
    } catch (e) {
      throw d1Error(e.message, e);
    }
  }

  #one({ sql, params, mode, column }) {
    const cursor = this.#exec(sql, params);
    const columns = cursor.columnNames;
    if (mode === "raw" || mode === "raw-names") {
      const rows = cursor.raw().toArray().map((row) => row.map(cellOf));
      return mode === "raw-names" ? [columns, ...rows] : rows;
    }
    const rows = cursor.toArray();
    for (const row of rows) for (const key of columns) row[key] = cellOf(row[key]);
    if (mode === "first") {
      if (rows.length === 0) return null;
      if (column === undefined) return rows[0];
      if (!columns.includes(column)) throw new $Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return rows[0][column];
    }
    const [changes, lastRowId] = this.#sql.exec("SELECT changes(), last_insert_rowid()").raw().toArray()[0];
    const written = cursor.rowsWritten;
    return {
      success: true,
      results: rows,
      meta: {
        served_by: "atoll",
        served_by_region: "local",
        duration: 0,
        changes: written > 0 ? changes : 0,
        last_row_id: lastRowId,
        changed_db: written > 0,
        size_after: this.#sql.databaseSize,
        rows_read: cursor.rowsRead,
        rows_written: written,
      },
    };
  }

  // Statements in order; `atomic` (batch()): all of them or none.
  d1Run(plans, atomic) {
    this.#migrate();
    if (!atomic) return plans.map((plan) => this.#one(plan));
    return this.#storage.transactionSync(() => plans.map((plan) => this.#one(plan)));
  }

  d1Exec(sql) {
    this.#migrate();
    const count = countStatements(sql);
    this.#exec(sql, []);
    return { count, duration: 0 };
  }
}

// durable_objects.js's class for a database's engine name (its name, '-' as '$'), with its migrations.
const engines = new $Map();
export function engineClass(name) {
  let Class = engines.get(name);
  if (Class === undefined) {
    const migrations = migrationsOf.get(name) ?? [];
    Class = class extends D1Engine {
      constructor(state, env) { super(state, env, migrations); }
    };
    engines.set(name, Class);
  }
  return Class;
}

export { D1Database, D1PreparedStatement, D1DatabaseSession };
