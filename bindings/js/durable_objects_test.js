// Durable Objects (env.DO, bindings/durable_objects.h, js/lazy/durable_objects.js): ids, stubs,
// RPC, the storage API and its SQL cursor, in one process. tests/js_api_test.cc binds DO to this
// file's TestObject; forwarding between processes, durability, alarms firing and hibernation
// are in tests/durable_objects_test.cc.
import { DurableObject } from "cloudflare:workers";
import { test, assert, run } from "./testing/harness.js";

let DO;

export class TestObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.log = [];
    ctx.blockConcurrencyWhile(async () => {
      await null;
      this.log.push("init");
    });
  }
  storage() { return this.ctx.storage; }
  async run(name, ...args) { return ops[name](this.ctx.storage, this, ...args); }
  mutate(value) {
    value.changed = true;
    return value;
  }
  events() { return this.log; }
  alarm() {}
  // The WebSocket hibernation API (js/lazy/do_websocket.js): sockets kept as pairs in this isolate.
  webSocketMessage(ws, message) {
    if (message === "throw") throw new Error("thrown on purpose");
    ws.send(`${this.ctx.getTags(ws).join("+")}:${message}:${ws.deserializeAttachment()?.n}`);
  }
  webSocketClose(ws, code, reason, wasClean) { this.closes = [...(this.closes ?? []), `${code} ${reason}`]; }
}

// A class whose name starts with "$" (a name below the digits in ASCII, next to the platform's
// own classes, whose names start with a digit).
export class $Dollar extends DurableObject {
  ping() { return "pong"; }
}

function throws(fn) {
  try {
    fn();
    return "ok";
  } catch (e) {
    return e.name;
  }
}

// Work done inside the object (RPC runs it there), by name.
const ops = {
  async websockets(storage, object) {
    const ctx = object.ctx;
    const out = [];
    const next = (ws) => new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true }));
    const [client, server] = Object.values(new WebSocketPair());
    ctx.acceptWebSocket(server, ["a", "b"]);
    server.serializeAttachment({ n: 7 });
    out.push(throws(() => server.accept()), ctx.getWebSockets("b").includes(server), ctx.getWebSockets("zz").length);
    client.accept();
    client.send("throw");
    client.send("hi");
    out.push(await next(client));
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    client.send("ping");
    out.push(await next(client), ctx.getWebSocketAutoResponseTimestamp(server) instanceof Date);
    client.close(1000, "done");
    await new Promise((resolve) => setTimeout(resolve, 10));
    out.push(object.closes, ctx.getWebSockets().includes(server));
    out.push(throws(() => ctx.acceptWebSocket(new WebSocketPair()[1], new Array(11).fill("t"))));
    out.push(throws(() => new WebSocketPair()[1].serializeAttachment(new Uint8Array(4096))));
    ctx.setWebSocketAutoResponse();
    out.push(ctx.getWebSocketAutoResponse());
    return out;
  },
  async kv(storage) {
    await storage.deleteAll();
    const out = [];
    out.push(await storage.get("missing"));
    await storage.put("a", { nested: [1, 2], when: new Date(0), bytes: new Uint8Array([7]), map: new Map([[1, 2]]) });
    const a = await storage.get("a");
    out.push(a.nested, a.when instanceof Date, a.bytes[0], a.map.get(1));
    await storage.put({ b: 2, c: 3, d: 4 });
    out.push([...(await storage.get(["d", "b", "zz"])).entries()]);
    out.push(await storage.delete("b"), await storage.delete("b"), await storage.delete(["c", "d", "e"]));
    return out;
  },
  async list(storage) {
    await storage.deleteAll();
    await storage.put({ "p:1": 1, "p:2": 2, "p:3": 3, "q:1": 4 });
    const keys = async (options) => [...(await storage.list(options)).keys()];
    return [await keys(), await keys({ prefix: "p:" }), await keys({ start: "p:2", end: "q:1" }),
            await keys({ reverse: true, limit: 2 }), await keys({ startAfter: "p:2" })];
  },
  async transactions(storage) {
    await storage.deleteAll();
    try {
      storage.transactionSync(() => {
        storage.sql.exec("CREATE TABLE IF NOT EXISTS tx(v)");
        storage.sql.exec("INSERT INTO tx VALUES (1)");
        throw new Error("undo");
      });
    } catch (e) {}
    const afterSync = storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'tx'").one().n;
    const value = await storage.transaction(async (txn) => {
      await txn.put("t", 1);
      txn.rollback();
      return "returned";
    });
    return [afterSync, value, (await storage.get("t")) ?? null];
  },
  sql(storage) {
    const sql = storage.sql;
    sql.exec("DROP TABLE IF EXISTS s; CREATE TABLE s(id INTEGER PRIMARY KEY, name TEXT, data BLOB, r REAL)");
    const insert = sql.exec("INSERT INTO s(name, data, r) VALUES (?, ?, ?), (?, ?, ?)", "x", new Uint8Array([1, 2]), 1.5,
                            "y", null, 2);
    const cursor = sql.exec("SELECT id, name, data, r FROM s ORDER BY id");
    const rows = [];
    for (const row of cursor) rows.push([row.id, row.name, row.data === null ? null : [...new Uint8Array(row.data)], row.r]);
    const errors = [];
    for (const bad of [() => sql.exec("SELECT * FROM _cf_KV"), () => sql.exec("SELEC 1"),
                       () => sql.exec("SELECT ?"), () => sql.exec("SELECT 1 WHERE 0").one()]) {
      try {
        bad();
        errors.push("none");
      } catch (e) {
        errors.push(e.constructor.name);
      }
    }
    return [insert.rowsWritten, cursor.columnNames, rows, errors, sql.exec("SELECT 1 AS a, 2 AS b").raw().toArray()];
  },
  async alarms(storage) {
    await storage.deleteAlarm();
    const before = await storage.getAlarm();
    await storage.setAlarm(new Date(Date.now() + 3600_000));
    const set = (await storage.getAlarm()) > Date.now();
    await storage.deleteAlarm();
    return [before, set, await storage.getAlarm()];
  },
};

test("ids", () => {
  const a = DO.idFromName("alpha");
  assert.equal(a.toString().length, 64);
  assert.ok(/^[0-9a-f]{64}$/.test(a.toString()));
  assert.equal(a.name, "alpha");
  assert.ok(a.equals(DO.idFromName("alpha")), "the same name, the same id");
  assert.ok(!a.equals(DO.idFromName("beta")));
  const unique = DO.newUniqueId();
  assert.notEqual(unique.toString(), DO.newUniqueId().toString());
  assert.equal(unique.name, undefined);
  assert.ok(DO.idFromString(a.toString()).equals(a));
  assert.throws(() => DO.idFromString("not hex"), TypeError);
  assert.throws(() => DO.idFromString("A".repeat(64)), TypeError);
  assert.throws(() => DO.get("a string"), TypeError);
});

test("stubs: RPC with cloned arguments and results, errors, not a thenable", async () => {
  const stub = DO.getByName("rpc");
  assert.equal(stub.then, undefined);
  assert.ok(stub.id.equals(DO.idFromName("rpc")));
  const arg = { changed: false };
  const result = await stub.mutate(arg);
  assert.equal(arg.changed, false, "the caller's argument is a copy");
  assert.equal(result.changed, true);
  await assert.rejects(stub.noSuchMethod(), TypeError);
  await assert.rejects(stub.mutate(() => 1), Error);
  assert.deepEqual(await stub.events(), ["init"], "events wait for blockConcurrencyWhile");
});

test("storage: get, put, delete, structured values", async () => {
  assert.deepEqual(await DO.getByName("s").run("kv"),
                   [undefined, [1, 2], true, 7, 2, [["b", 2], ["d", 4]], true, false, 2]);
});

test("storage: list", async () => {
  assert.deepEqual(await DO.getByName("s").run("list"), [
    ["p:1", "p:2", "p:3", "q:1"], ["p:1", "p:2", "p:3"], ["p:2", "p:3"], ["q:1", "p:3"], ["p:3", "q:1"],
  ]);
});

test("storage: transactions roll back", async () => {
  assert.deepEqual(await DO.getByName("s").run("transactions"), [0, "returned", null]);
});

test("storage.sql", async () => {
  assert.deepEqual(await DO.getByName("s").run("sql"), [
    2, ["id", "name", "data", "r"], [[1, "x", [1, 2], 1.5], [2, "y", null, 2]], ["Error", "Error", "Error", "Error"],
    [[1, 2]],
  ]);
});

test("alarms: set, get, delete", async () => {
  assert.deepEqual(await DO.getByName("s").run("alarms"), [null, true, null]);
});

test("WebSocket hibernation API: acceptWebSocket, tags, attachment, auto-response, close, limits", async () => {
  assert.deepEqual(await DO.getByName("w").run("websockets"), [
    "TypeError", true, 0, "a+b:hi:7", "pong", true, ["1000 done"], false, "TypeError", "RangeError", null,
  ]);
});

test("stub.fetch", async () => {
  await assert.rejects(DO.getByName("f").fetch("http://x/"), TypeError, "TestObject has no fetch()");
});

test("a class named with a leading $", async () => {
  assert.equal(await DOLLAR.getByName("d").ping(), "pong");
});

let DOLLAR;

export default {
  async fetch(request, env) {
    DO = env.DO;
    DOLLAR = env.DOLLAR;
    return Response.json(await run());
  },
};
