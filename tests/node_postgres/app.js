// A Worker on PostgreSQL through npm pg (node-postgres, pinned in package.json), as Cloudflare's
// docs write it (tests/postgres_js_test.cc runs it next to postgres.js): a Client per request,
// ended in ctx.waitUntil. node-postgres is CommonJS: its require()s of Node's modules (events,
// util, crypto, dns, fs, net, tls, path, stream, string_decoder) are imports of node:* in the
// bundle, as wrangler makes them (tests/hono/build.mjs). On Workers it connects through
// cloudflare:sockets (pg-cloudflare, chosen by navigator.userAgent "Cloudflare-Workers") and logs
// in with SCRAM-SHA-256 through crypto.subtle.
import pg from "pg";

const routes = {
  async "/insert"(client, url) {
    const { rows } = await client.query("insert into pg_people (name) values ($1) returning id, name",
      [url.searchParams.get("name")]);
    return rows[0];
  },
  async "/select"(client) {
    return (await client.query("select id, name from pg_people order by id")).rows;
  },
  async "/tx"(client) {
    await client.query("begin");
    await client.query("insert into pg_people (name) values ('rolled back')");
    await client.query("rollback");
    const { rows } = await client.query("select count(*)::int as count from pg_people where name = 'rolled back'");
    return rows[0];
  },
  async "/error"(client) {
    try {
      await client.query("selec 1");
      return { error: null };
    } catch (e) {
      return { name: e.name, code: e.code, message: e.message };
    }
  },
  async "/types"(client) {
    const { rows } = await client.query(
      "select $1::int as int, $2::int8 as big, $3::jsonb as doc, $4::timestamptz as at, $5::text[] as texts, $6::bytea as bytes",
      [42, "9007199254740993", { a: [1, "two"] }, new Date("2024-02-29T12:34:56.789Z"), ["x", "y,z"], new Uint8Array([0, 255])]);
    const row = rows[0];
    return { int: row.int, big: row.big, doc: row.doc, at: row.at.toISOString(), texts: row.texts,
             bytes: Array.from(row.bytes) };
  },
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return new Response("not found", { status: 404 });
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    try {
      await client.connect();
      if (url.pathname === "/insert" || url.pathname === "/select") {
        await client.query("create table if not exists pg_people (id serial primary key, name text not null)");
      }
      return Response.json(await route(client, url));
    } catch (e) {
      return Response.json({ name: e.name, code: e.code ?? null, message: e.message }, { status: 500 });
    } finally {
      ctx.waitUntil(client.end());
    }
  },
};
