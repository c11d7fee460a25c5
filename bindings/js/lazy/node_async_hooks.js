// node:async_hooks (nodejs_compat; https://nodejs.org/api/async_hooks.html): what Workers has.
// AsyncLocalStorage and AsyncResource come from the async_context module; the async hooks
// themselves do not exist, so, as in Workers, createHook gives a hook whose enable/disable do
// nothing and the ids are 0 (libraries that probe for them keep working).
const context = internal.require("async_context");

// What createHook returns: never called back.
class AsyncHook {
  enable() {
    return this;
  }

  disable() {
    return this;
  }
}

module.exports = {
  AsyncLocalStorage: context.AsyncLocalStorage,
  AsyncResource: context.AsyncResource,
  asyncWrapProviders: Object.freeze({ __proto__: null, NONE: 0 }),
  createHook: function createHook(callbacks) {
    return new AsyncHook();
  },
  executionAsyncId: function executionAsyncId() {
    return 0;
  },
  executionAsyncResource: function executionAsyncResource() {
    return Object.create(null);
  },
  triggerAsyncId: function triggerAsyncId() {
    return 0;
  },
};
