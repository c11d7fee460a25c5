// node:assert (nodejs_compat; https://nodejs.org/api/assert.html): the npm `assert` 2.1.0 package,
// Node's assert module for every engine (ok, equal, deepStrictEqual, throws, rejects, AssertionError).
module.exports = require("atoll-npm:assert");
