// A Worker on PostgreSQL through npm postgres (postgres.js, pinned in package.json), as Cloudflare's
// docs write it (tests/postgres_js_test.cc): a client per request, at most 5 connections (Workers
// allows 6 at a time), fetch_types off unless the query needs array types, and sql.end() left to
// ctx.waitUntil. Its "workerd" export is what esbuild picks (tests/hono/build.mjs): TCP through
// cloudflare:sockets, node:buffer, node:events, node:stream, SCRAM through crypto.subtle.
import { Buffer } from "node:buffer";
import postgres from "postgres";

const routes = {
  async "/setup"(sql) {
    await sql`create table people (id serial primary key, name text not null unique)`;
    return { ok: true };
  },

  async "/insert"(sql, url) {
    const [row] = await sql`insert into people (name) values (${url.searchParams.get("name")}) returning id, name`;
    return row;
  },

  async "/select"(sql) {
    return await sql`select id, name from people order by id`;
  },

  // One transaction that commits, one that throws after its insert (rolled back), the count after.
  async "/tx"(sql) {
    await sql.begin(async (tx) => {
      await tx`insert into people (name) values ('committed')`;
    });
    let rolledBack = null;
    try {
      await sql.begin(async (tx) => {
        await tx`insert into people (name) values ('rolled back')`;
        throw new Error("changed my mind");
      });
    } catch (e) {
      rolledBack = e.message;
    }
    const [{ count }] = await sql`select count(*)::int as count from people`;
    const names = (await sql`select name from people order by id`).map((r) => r.name);
    return { rolledBack, count, names };
  },

  async "/error"(sql) {
    try {
      await sql`selec 1`;
      return { error: null };
    } catch (e) {
      return { name: e.name, isPostgresError: e instanceof postgres.PostgresError, code: e.code, message: e.message };
    }
  },

  // 10 queries at once over the pool's 5 connections.
  async "/concurrent"(sql) {
    const rows = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sql`select ${i}::int * 2 as doubled, pg_backend_pid() as pid`),
    );
    return { doubled: rows.map(([r]) => r.doubled), backends: new Set(rows.map(([r]) => r.pid)).size };
  },

  async "/types"(sql) {
    const [row] = await sql`
      select ${42}::int as int, ${-1.5}::float8 as float, ${"9007199254740993"}::int8 as big,
             ${12.5}::numeric as num, ${true}::bool as yes, ${null}::text as nothing,
             ${sql.json({ a: [1, "two", null], b: { c: true } })} as doc,
             ${new Date("2024-02-29T12:34:56.789Z")}::timestamptz as at,
             ${[1, 2, 3]}::int[] as ints, ${["x", "y,z", "é"]}::text[] as texts,
             ${"héllo ✓"}::text as unicode, ${Buffer.from([0, 1, 254, 255])}::bytea as bytes`;
    return {
      int: row.int, float: row.float, big: row.big, bigType: typeof row.big, num: row.num, yes: row.yes,
      nothing: row.nothing, doc: row.doc, at: row.at instanceof Date ? row.at.toISOString() : String(row.at),
      ints: row.ints, texts: row.texts, unicode: row.unicode, bytes: Buffer.from(row.bytes).toString("hex"),
    };
  },
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return new Response("not found", { status: 404 });
    // Array types need fetch_types (Cloudflare: "if you are not using array types ... disable").
    const sql = postgres(env.DATABASE_URL, { max: 5, fetch_types: url.pathname === "/types" });
    try {
      return Response.json(await route(sql, url));
    } catch (e) {
      return Response.json({ name: e.name, code: e.code ?? null, message: e.message }, { status: 500 });
    } finally {
      ctx.waitUntil(sql.end());
    }
  },
};
