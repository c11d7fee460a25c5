// node:path/win32 (nodejs_compat; https://nodejs.org/api/path.html#pathwin32): loads, with
// Windows' separators, so that code importing it runs; its functions throw
// ERR_METHOD_NOT_IMPLEMENTED rather than answer with POSIX rules (unenv's polyfill answers with
// node:path's, so `basename("C:\\a\\b")` would be the whole string).
const { createNotImplementedError } = require("atoll-npm:unenv/_internal/utils");  // patched by build.mjs

const posix = internal.require("node_path");
const win32 = { sep: "\\", delimiter: ";" };
for (const key of Object.keys(posix)) {
  if (typeof posix[key] !== "function") continue;
  win32[key] = () => {
    throw createNotImplementedError(`path.win32.${key}`);
  };
}
win32.win32 = win32;
win32.posix = posix;
module.exports = win32;
