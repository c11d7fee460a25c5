// The globals nodejs_compat adds (as Workers' nodejs_compat_v2): Buffer, process, global,
// setImmediate and clearImmediate,
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
  // As Workers under nodejs_compat (Express's router calls the global).
  get setImmediate() {
    return internal.require("node_timers").setImmediate;
  },
  get clearImmediate() {
    return internal.require("node_timers").clearImmediate;
  },
};
