// node:path/posix (nodejs_compat): the same functions as node:path.
module.exports = internal.require("node_path").posix;
