// D1 (env.D1, js/lazy/d1.js): statements, results and their meta, types, batch as one
// transaction, exec, errors. tests/js_api_test.cc binds D1 to database "js-test"; migrations,
// two worker processes and durability are in tests/d1_test.cc.
import { test, assert, run } from "./testing/harness.js";

let DB;

async function fresh(table) {
  await DB.exec(`DROP TABLE IF EXISTS ${table};\nCREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB)`);
}

test("prepare, bind, run, all, first, raw", async () => {
  await fresh("t1");
  const insert = DB.prepare("INSERT INTO t1 (name, score, data) VALUES (?1, ?2, ?3)");
  const r = await insert.bind("ann", 1.5, new Uint8Array([1, 2, 255])).run();
  assert.equal(r.success, true);
  assert.equal(r.meta.changes, 1);
  assert.equal(r.meta.last_row_id, 1);
  assert.equal(r.meta.changed_db, true);
  assert.equal(r.meta.rows_written, 1);
  assert.ok(r.meta.size_after > 0);
  assert.deepEqual(r.results, []);
  await insert.bind("bob", null, null).run();
  await insert.bind("cy", 3, [9, 8]).run();
  const all = await DB.prepare("SELECT id, name, score, data FROM t1 ORDER BY id").all();
  assert.deepEqual(all.results, [
    { id: 1, name: "ann", score: 1.5, data: [1, 2, 255] },
    { id: 2, name: "bob", score: null, data: null },
    { id: 3, name: "cy", score: 3, data: [9, 8] },
  ]);
  assert.equal(all.meta.rows_read, 3);
  assert.equal(all.meta.changed_db, false);
  assert.equal(all.meta.changes, 0);
  assert.deepEqual(await DB.prepare("SELECT name FROM t1 WHERE id = ?").bind(2).first(), { name: "bob" });
  assert.equal(await DB.prepare("SELECT name FROM t1 WHERE id = ?").bind(3).first("name"), "cy");
  assert.equal(await DB.prepare("SELECT name FROM t1 WHERE id = ?").bind(99).first("name"), null);
  await assert.rejects(DB.prepare("SELECT name FROM t1").first("nope"), Error, "D1_COLUMN_NOTFOUND");
  assert.deepEqual(await DB.prepare("SELECT id, name FROM t1 WHERE id < 3 ORDER BY id").raw(), [[1, "ann"], [2, "bob"]]);
  assert.deepEqual(await DB.prepare("SELECT id FROM t1 WHERE id = 1").raw({ columnNames: true }), [["id"], [1]]);
  // A statement is immutable: bind() makes another.
  const byId = DB.prepare("SELECT name FROM t1 WHERE id = ?");
  const [a, b] = [byId.bind(1), byId.bind(2)];
  assert.deepEqual([await a.first("name"), await b.first("name")], ["ann", "bob"]);
});

test("values: booleans, bigints, undefined and objects", async () => {
  await fresh("t2");
  await DB.prepare("INSERT INTO t2 (name, score) VALUES (?, ?)").bind("yes", true).run();
  await DB.prepare("INSERT INTO t2 (name, score) VALUES (?, ?)").bind("big", 12n).run();
  assert.deepEqual((await DB.prepare("SELECT score FROM t2 ORDER BY id").raw()), [[1], [12]]);
  assert.throws(() => DB.prepare("SELECT ?").bind(undefined), TypeError, "D1_TYPE_ERROR");
  assert.throws(() => DB.prepare("SELECT ?").bind({ a: 1 }), TypeError, "D1_TYPE_ERROR");
  assert.throws(() => DB.prepare(42), TypeError);
});

test("batch runs its statements in one transaction", async () => {
  await fresh("t3");
  const insert = DB.prepare("INSERT INTO t3 (name) VALUES (?)");
  const results = await DB.batch([insert.bind("a"), insert.bind("b"), DB.prepare("SELECT count(*) AS n FROM t3")]);
  assert.equal(results.length, 3);
  assert.equal(results[1].meta.last_row_id, 2);
  assert.deepEqual(results[2].results, [{ n: 2 }]);
  // The second fails (NOT NULL): the first is rolled back with it.
  await assert.rejects(DB.batch([insert.bind("c"), insert.bind(null)]), Error, "NOT NULL constraint failed");
  assert.deepEqual(await DB.prepare("SELECT name FROM t3 ORDER BY id").raw(), [["a"], ["b"]]);
  assert.deepEqual(await DB.batch([]), []);
  await assert.rejects(DB.batch(["SELECT 1"]), TypeError);
});

test("exec runs several statements and counts them", async () => {
  const r = await DB.exec("CREATE TABLE IF NOT EXISTS t4 (x);\nINSERT INTO t4 VALUES ('a;b');\n-- a comment; not a statement\nINSERT INTO t4 VALUES (2)");
  assert.equal(r.count, 3);
  assert.equal(typeof r.duration, "number");
  assert.deepEqual(await DB.prepare("SELECT x FROM t4").raw(), [["a;b"], [2]]);
});

test("errors are D1_ERROR; internal tables are refused; sessions", async () => {
  await assert.rejects(DB.prepare("SELECT * FROM no_such_table").all(), Error, "D1_ERROR: no such table: no_such_table");
  await assert.rejects(DB.prepare("SELEC 1").run(), Error, "D1_ERROR");
  // As on D1, the database's own error is the cause.
  const error = await DB.prepare("SELECT * FROM no_such_table").all().catch((e) => e);
  assert.ok(error.cause instanceof Error, `cause: ${error.cause}`);
  assert.ok(error.cause.message.includes("no such table"), error.cause.message);
  await assert.rejects(DB.prepare("SELECT * FROM _cf_KV").all(), Error, "not authorized");
  const session = DB.withSession("first-primary");
  assert.equal(session.getBookmark(), null);
  assert.deepEqual(await session.prepare("SELECT 1 AS one").first(), { one: 1 });
  assert.equal(typeof DB.run, "undefined");
  assert.equal(typeof DB.prepare("SELECT 1").plan, "undefined");
});

export default {
  async fetch(request, env) {
    DB = env.D1;
    return Response.json(await run());
  },
};
