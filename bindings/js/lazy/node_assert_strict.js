// node:assert/strict (nodejs_compat): node:assert's strict mode (equal is strictEqual & co.).
module.exports = internal.require("node_assert").strict;
