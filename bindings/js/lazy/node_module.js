// node:module (nodejs_compat; https://nodejs.org/api/module.html): builtinModules, isBuiltin, and
// createRequire(), whose require() loads Node's built-in modules (what ES modules converted from
// CommonJS do: `const require = createRequire(import.meta.url)`); a Worker has no files, so any
// other name is MODULE_NOT_FOUND. The rest (Module, register, findSourceMap, ...) is unenv's
// polyfill (pinned in package.json), as wrangler bundles it.
const module_ = require("./lib/esm_exports.js").esmExports(require("atoll-npm:unenv/node/module"));

// The names atoll provides (build.mjs defines them from builtin_modules.cc's table).
const builtinModules = __atollNodeModules.slice();

function isBuiltin(name) {
  const id = `${name}`;
  return builtinModules.includes(id.startsWith("node:") ? id.slice(5) : id);
}

function createRequire(filename) {
  const from = `${filename}`;
  function require(id) {
    const name = `${id}`;
    const exports = process.getBuiltinModule(name);  // undefined for a name that is not a built-in
    if (exports !== undefined) return exports;
    const error = new Error(`Cannot find module '${name}' (required from ${from}): a Worker loads no files at run time; bundle it`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  require.resolve = (id) => {
    if (isBuiltin(`${id}`)) return `${id}`;
    const error = new Error(`Cannot find module '${id}'`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  };
  require.resolve.paths = () => null;
  require.cache = Object.create(null);
  require.main = undefined;
  return require;
}

module_.builtinModules = builtinModules;
module_.isBuiltin = isBuiltin;
module_.createRequire = createRequire;
if (module_.Module !== undefined) {
  module_.Module.builtinModules = builtinModules;
  module_.Module.isBuiltin = isBuiltin;
  module_.Module.createRequire = createRequire;
}
module.exports = module_;
