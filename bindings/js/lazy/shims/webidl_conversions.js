// webidl-conversions with a faster USVString (https://webidl.spec.whatwg.org/#es-USVString):
// the package builds the result one code point at a time; a string without surrogates (nearly
// every one) is returned as is. CommonJS, like the package its importers expect. See build.mjs.
const conversions = require("atoll-npm:webidl-conversions");

const SURROGATE = /[\uD800-\uDFFF]/;
const slowUSVString = conversions.USVString;

conversions.USVString = (value, options = {}) => {
  const text = conversions.DOMString(value, options);
  return SURROGATE.test(text) ? slowUSVString(text, options) : text;
};

module.exports = conversions;
