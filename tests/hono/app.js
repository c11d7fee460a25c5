// A Hono app as a Workers user writes it (tests/hono_test.cc): bindings read through
// hono/adapter's env(c), which returns the handler's env only when getRuntimeKey() says
// "workerd", i.e. when navigator.userAgent is "Cloudflare-Workers". Bundled by build.mjs.
import { Hono } from "hono";
import { env, getRuntimeKey } from "hono/adapter";
import { logger } from "hono/logger";
import { cache } from "hono/cache";

const app = new Hono();
app.use("*", logger());

app.get("/runtime", (c) => c.text(getRuntimeKey()));

app.get("/greet/:name", (c) => {
  const { GREETING, LIMIT } = env(c);
  return c.json({ greeting: `${GREETING}, ${c.req.param("name")}`, limit: LIMIT ?? null });
});

app.put("/kv/:key", async (c) => {
  const { STORE } = env(c);
  await STORE.put(c.req.param("key"), await c.req.text());
  return c.body(null, 204);
});

app.get("/kv/:key", async (c) => {
  const { STORE } = env(c);
  const value = await STORE.get(c.req.param("key"));
  return value === null ? c.notFound() : c.text(value);
});

// The proxy idiom through Hono: the raw request's body streamed on, no duplex member.
app.post("/echo", async (c) => {
  const copy = new Request("http://internal/echo", c.req.raw);
  return c.json({ bytes: (await copy.arrayBuffer()).byteLength, country: c.req.raw.cf?.country ?? null });
});

// Hono's cache middleware over caches.open(): a second GET is answered from the cache, so the
// handler's random body repeats.
app.get("/cached/*", cache({ cacheName: "hono", cacheControl: "max-age=60", wait: true }), (c) =>
  c.text(crypto.randomUUID()));

export default app;
