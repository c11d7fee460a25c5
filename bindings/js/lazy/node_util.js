// node:util (nodejs_compat; https://nodejs.org/api/util.html): the npm `util` 0.12.5 package
// (format, inspect, inherits, promisify, callbackify, deprecate, types, isDeepStrictEqual via
// node:assert), plus TextEncoder/TextDecoder and the newer helpers Workers has.
const npm = require("atoll-npm:util");

const encoding = internal.require("encoding");
const util = { ...npm };
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
