// cloudflare:workers (https://developers.cloudflare.com/workers/runtime-apis/context/ and
// .../bindings/#importing-env-as-a-global): `env`, the context's env object (the one handlers
// get), and the base classes of class-based entrypoints. A default export extending
// WorkerEntrypoint is instantiated per request as new Class(ctx, env) (90_dispatch.js).
// DurableObject and RpcTarget are base classes only: atoll has no Durable Objects or RPC yet.

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

module.exports = { env, WorkerEntrypoint, DurableObject, RpcTarget };
