// The globals nodejs_compat adds (as Workers' nodejs_compat_v2): Buffer, process and global,
// defined lazily on the contexts of tenants with the flag (builtin_modules.cc). Getters, so that
// the first read of `Buffer` does not load node:process too (lazy_modules.cc reads one property).
module.exports = {
  get Buffer() {
    return internal.require("node_buffer").Buffer;
  },
  get process() {
    return internal.require("node_process");
  },
  global: globalThis,
};
