// node:stream/promises (nodejs_compat): pipeline and finished returning promises.
module.exports = internal.require("node_stream").promises;
