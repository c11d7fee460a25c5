// node:os (nodejs_compat; https://nodejs.org/api/os.html): unenv's polyfill (pinned in
// package.json), as wrangler bundles it for Workers: the answers of a machine the tenant cannot
// see (no host name, no load, no memory figures, `/tmp`), with the architecture node:process
// reports. setPriority throws ERR_METHOD_NOT_IMPLEMENTED.
const os = require("./lib/esm_exports.js").esmExports(require("atoll-npm:unenv/node/os"));
const { arch } = internal.require("node_process");

os.arch = () => arch;
os.machine = () => (arch === "arm64" ? "aarch64" : "x86_64");
module.exports = os;
