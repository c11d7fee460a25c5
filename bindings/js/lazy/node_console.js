// node:console (nodejs_compat; https://nodejs.org/api/console.html): the context's console (its
// lines go to the tenant's log), as `require("console")` is in Node. `new Console(stream)` writes
// to streams a Worker does not have: ERR_METHOD_NOT_IMPLEMENTED.
// unenv's error (pinned; build.mjs patches it to Node's ERR_METHOD_NOT_IMPLEMENTED).
const { createNotImplementedError } = require("atoll-npm:unenv/_internal/utils");

const global = globalThis.console;
const out = {};
for (const key of Object.keys(global)) {
  const value = global[key];
  out[key] = typeof value === "function" ? value.bind(global) : value;
}
out.Console = class Console {
  constructor() {
    throw createNotImplementedError("Console");
  }
};
module.exports = out;
