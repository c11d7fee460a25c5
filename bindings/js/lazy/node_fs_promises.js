// node:fs/promises (nodejs_compat): node:fs's promises (node_fs.js): a tenant has no files.
module.exports = internal.require("node_fs").promises;
