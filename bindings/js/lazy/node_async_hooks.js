// node:async_hooks (nodejs_compat; https://nodejs.org/api/async_context.html): what Workers has,
// AsyncLocalStorage and AsyncResource, from the async_context module.
const context = internal.require("async_context");

module.exports = { AsyncLocalStorage: context.AsyncLocalStorage, AsyncResource: context.AsyncResource };
