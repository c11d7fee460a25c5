// Bundles a test app the way wrangler does (esbuild, ESM, the workerd conditions; the runtime's
// own modules, node:* and cloudflare:*, left as imports): the Hono app (tests/hono/app.js), the
// postgres.js app (tests/postgres_js/app.js) and the node-postgres app (tests/node_postgres/app.js).
// As wrangler under nodejs_compat, a Node built-in named bare ("events") is node:events, and a
// require() of one in CommonJS npm code (node-postgres) becomes an import hoisted to the top of
// the bundle (an ES module has no require()): `import lib from "node:events"; module.exports = lib`.
// With --compatibility-date DATE it bundles as wrangler itself does under nodejs_compat: with
// wrangler's unenv preset (@cloudflare/unenv-preset and unenv, pinned in package.json) for that
// date, which leaves as imports the Node modules workerd implements then and bundles unenv's
// polyfills (and the globals they inject) for the rest (tests/wrangler_bundle).
// Usage: node build.mjs ENTRY OUTFILE [--compatibility-date DATE]    Run by CMake at build time (tests/CMakeLists.txt).
import { build } from "esbuild";
import { builtinModules } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// A require() of a module left as an import (namespace "node-require", path the import's
// specifier): the import hoisted to the bundle's top, its default the require()'s value.
function hoistRequires(b) {
  b.onLoad({ filter: /.*/, namespace: "node-require" }, (args) => ({
    contents: `import lib from ${JSON.stringify(args.path)}; module.exports = lib;`,
    loader: "js",
  }));
}

const builtins = new Set(builtinModules);
const nodeBuiltins = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (!builtins.has(name)) return undefined;
      if (args.kind === "require-call") return { path: `node:${name}`, namespace: "node-require" };
      return { path: `node:${name}`, external: true };
    });
    hoistRequires(b);
  },
};

// wrangler's preset for a compatibility date: its aliases resolved (a Node module name -> itself,
// left as an import, or -> a polyfill file bundled in), the globals it injects, its polyfills.
async function unenvPreset(compatibilityDate) {
  const { defineEnv } = await import("unenv");
  const { getCloudflarePreset } = await import("@cloudflare/unenv-preset");
  const preset = getCloudflarePreset({ compatibilityDate, compatibilityFlags: ["nodejs_compat"] });
  return defineEnv({ nodeCompat: true, presets: [preset], resolve: true }).env;
}

// As wrangler's hybrid nodejs_compat plugin: aliases resolved, externals kept as imports (a
// require() of one hoisted as above), a require() of a polyfill file given the ES module's
// default with its named exports on it, injected globals set by a module run first.
function presetPlugin(env) {
  const external = new Set(env.external);
  return {
    name: "unenv-preset",
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_0-9/]+$/ }, (args) => {
        const target = env.alias[args.path];
        if (target === undefined) return undefined;
        if (external.has(target)) {
          if (args.kind === "require-call") return { path: target, namespace: "node-require" };
          return { path: target, external: true };
        }
        // ".cjs": esbuild takes a path ending in .mjs for an ES module, whatever its contents.
        if (args.kind === "require-call") return { path: `${target}.cjs`, namespace: "esm-require" };
        return { path: target };
      });
      hoistRequires(b);
      b.onLoad({ filter: /.*/, namespace: "esm-require" }, (args) => ({
        contents: `module.exports = __cf_cjs(require(${JSON.stringify(args.path.slice(0, -4))}));`,
        loader: "js",
        resolveDir: dirname(args.path),
      }));
    },
  };
}

const [entry, outfile, flag, compatibilityDate] = process.argv.slice(2);
const options = {
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*", "cloudflare:*"],
  plugins: [nodeBuiltins],
  logLevel: "warning",
};
if (flag === "--compatibility-date") {
  const env = await unenvPreset(compatibilityDate);
  const outdir = dirname(outfile);
  mkdirSync(outdir, { recursive: true });
  // The polyfills and the modules of the globals the preset injects run first, imported by an
  // entry that then re-exports the app; the bundle's uses of such a global read the module's
  // value (esbuild's own `inject` would import them into every file, making the CommonJS ones ES
  // modules without `module`).
  const wrapper = join(outdir, "_entry.mjs");
  const app = JSON.stringify(resolve(entry));
  let text = env.polyfill.map((file) => `import ${JSON.stringify(file)};\n`).join("");
  options.define = {};
  for (const [name, from] of Object.entries(env.inject)) {
    if (from === false) continue;
    const [module, exported] = Array.isArray(from) ? from : [from, "default"];
    text += `import { ${exported} as __inject_${name} } from ${JSON.stringify(module)};\n` +
      `globalThis.__unenv_inject_${name} = __inject_${name};\n`;
    options.define[name] = `globalThis.__unenv_inject_${name}`;
  }
  writeFileSync(wrapper, `${text}export * from ${app};\nexport { default } from ${app};\n`);
  options.entryPoints = [wrapper];
  options.external = ["cloudflare:*"];
  options.plugins = [presetPlugin(env)];
  options.banner = {
    js: "function __cf_cjs(esm) {\n  const cjs = \"default\" in esm ? esm.default : {};\n" +
      "  for (const [k, v] of Object.entries(esm)) if (k !== \"default\") Object.defineProperty(cjs, k, { enumerable: true, value: v });\n" +
      "  return cjs;\n}",
  };
}
await build(options);
