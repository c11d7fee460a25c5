// Bundles a test app the way wrangler does (esbuild, ESM, the workerd conditions; the runtime's
// own modules, node:* and cloudflare:*, left as imports): the Hono app (tests/hono/app.js), the
// postgres.js app (tests/postgres_js/app.js) and the node-postgres app (tests/node_postgres/app.js).
// As wrangler under nodejs_compat, a Node built-in named bare ("events") is node:events, and a
// require() of one in CommonJS npm code (node-postgres) becomes an import hoisted to the top of
// the bundle (an ES module has no require()): `import lib from "node:events"; module.exports = lib`.
// Usage: node build.mjs ENTRY OUTFILE    Run by CMake at build time (tests/CMakeLists.txt).
import { build } from "esbuild";
import { builtinModules } from "node:module";

const builtins = new Set(builtinModules);
const nodeBuiltins = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (!builtins.has(name)) return undefined;
      if (args.kind === "require-call") return { path: name, namespace: "node-require" };
      return { path: `node:${name}`, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: "node-require" }, (args) => ({
      contents: `import lib from "node:${args.path}"; module.exports = lib;`,
      loader: "js",
    }));
  },
};

const [entry, outfile] = process.argv.slice(2);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*", "cloudflare:*"],
  plugins: [nodeBuiltins],
  logLevel: "warning",
});
