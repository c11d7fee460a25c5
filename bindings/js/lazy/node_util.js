// node:util (nodejs_compat; https://nodejs.org/api/util.html): the npm `util` 0.12.5 package
// (inherits, promisify, callbackify, deprecate, types, isDeepStrictEqual via
// node:assert), with atoll's inspect and format, plus TextEncoder/TextDecoder and the newer helpers Workers has.
const npm = require("atoll-npm:util");

const encoding = internal.require("encoding");
const util = { ...npm };

// inspect and format: atoll's own port of Node's (js/lazy/inspect.js, what console prints), newer
// than the npm package's (which shows a Map as "{}").
function inspect(value, options = undefined, ...legacy) {
  let depth = 2;
  if (typeof options === "object" && options !== null) depth = options.depth === undefined ? 2 : options.depth;
  else if (legacy.length > 0 && legacy[0] !== undefined) depth = legacy[0];
  return internal.inspect(value, depth === null ? Infinity : depth);
}
inspect.custom = npm.inspect.custom;
inspect.colors = npm.inspect.colors;
inspect.styles = npm.inspect.styles;
inspect.defaultOptions = { depth: 2, colors: false, showHidden: false };
util.inspect = inspect;
util.format = (...args) => internal.formatArgs(args);
util.formatWithOptions = (options, ...args) => internal.formatArgs(args);
util.TextEncoder = encoding.TextEncoder;
util.TextDecoder = encoding.TextDecoder;
util.isDeepStrictEqual = function isDeepStrictEqual(a, b) {
  try {
    internal.require("node_assert").deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
};
util.stripVTControlCharacters = function stripVTControlCharacters(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u001B\u009B][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, "");
};
util.toUSVString = (text) => String(text).toWellFormed?.() ?? String(text);
util.aborted = function aborted(signal, resource) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
};
util.types = { ...npm.types };

module.exports = util;
