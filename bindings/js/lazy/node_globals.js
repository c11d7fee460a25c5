// The globals nodejs_compat adds (as Workers' nodejs_compat_v2): Buffer, process and global,
// defined lazily on the contexts of tenants with the flag (builtin_modules.cc).
module.exports = {
  Buffer: internal.require("node_buffer").Buffer,
  process: internal.require("node_process"),
  global: globalThis,
};
