// cloudflare:workers (https://developers.cloudflare.com/workers/runtime-apis/context/ and
// .../bindings/#importing-env-as-a-global): `env`, the context's env object (the one handlers
// get), and the base classes of class-based entrypoints. A default export that is a class (one
// extending WorkerEntrypoint) is instantiated per event as new Class(ctx, env), as Workers does,
// and its fetch(request) / scheduled(controller) called: 90_dispatch.js serves entrypointOf(Class).
// DurableObject is the base class of Durable Objects (js/lazy/durable_objects.js makes them);
// RpcTarget is a base class only.

// internal.workersEnv: the context's env, put there by BuiltinModules::InstallGlobals.
const env = internal.workersEnv;

class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class RpcTarget {}

// The handler object 90_dispatch.js calls as it calls `export default { fetch, scheduled }`.
// Kept here, not in the snapshot, so that tenants without a class pay nothing for it.
function entrypointOf(Class) {
  const proto = Class.prototype;
  const target = {};
  if (typeof proto.fetch === "function") target.fetch = (request, env, ctx) => new Class(ctx, env).fetch(request);
  if (typeof proto.scheduled === "function") {
    target.scheduled = (controller, env, ctx) => new Class(ctx, env).scheduled(controller);
  }
  return target;
}

module.exports = { env, WorkerEntrypoint, DurableObject, RpcTarget };
// Not enumerable: not one of the module's named exports.
Object.defineProperty(module.exports, "entrypointOf", { value: entrypointOf });
