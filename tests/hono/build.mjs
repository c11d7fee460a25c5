// Bundles a test app the way wrangler does (esbuild, ESM, the workerd conditions; the runtime's
// own modules, node:* and cloudflare:*, left as imports): the Hono app (tests/hono/app.js) and
// the postgres.js app (tests/postgres_js/app.js).
// Usage: node build.mjs ENTRY OUTFILE    Run by CMake at build time (tests/CMakeLists.txt).
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*", "cloudflare:*"],
  logLevel: "warning",
});
