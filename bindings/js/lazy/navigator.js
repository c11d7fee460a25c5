// navigator (https://html.spec.whatwg.org/multipage/system-state.html#the-navigator-object) as
// Cloudflare Workers has it: userAgent "Cloudflare-Workers". Libraries detect the Workers runtime
// by it (Hono's getRuntimeKey() and env(c), on a request) and read bindings from the handler's
// env only then. A module of its own, preloaded in the snapshot (runtime_snapshot.cc): a cold
// isolate's first read of navigator.userAgent loads nothing (it loaded "scope" and
// "dom_exception", ~1 ms). Written against internal.primordials, as dom_exception.js: harden.mjs
// leaves it as it is and it loads no safe-calls runtime (the snapshot carries none).
const { exposeInterface } = internal;
const { $TypeError } = internal.primordials;
const kCreate = { __proto__: null };  // the constructor's token

class Navigator {
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
  }

  // Cloudflare Workers' value: atoll runs Workers code, and libraries branch on it (Hono's env(c)
  // returns {} for a runtime it does not know). The atoll version is in `atoll version`, not here.
  get userAgent() {
    return "Cloudflare-Workers";
  }
}

exposeInterface(Navigator, "Navigator", false);
const navigator = new Navigator(kCreate);

module.exports = { navigator, Navigator };
