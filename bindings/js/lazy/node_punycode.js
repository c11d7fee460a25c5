// node:punycode (nodejs_compat; deprecated in Node): punycode.js 2.3.1, the package Node bundles.
module.exports = require("atoll-npm:punycode");
