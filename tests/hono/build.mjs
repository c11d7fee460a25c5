// Bundles the Hono test app the way wrangler does (esbuild, ESM, the workerd conditions).
// Usage: node build.mjs ENTRY OUTFILE    Run by CMake at build time (tests/CMakeLists.txt).
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  conditions: ["workerd", "worker", "browser"],
  logLevel: "warning",
});
