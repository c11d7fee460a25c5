// Runs before core-js in module es_builtins: core-js installs ArrayBuffer.prototype.detached only
// if `"detached" in ArrayBuffer.prototype` is false, which the placeholder (bindings/es_builtins.h)
// makes true. While the module loads a placeholder reads as undefined, which no real accessor
// or method does: such a property is removed first.
const descriptor = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "detached");
if (descriptor !== undefined && !("get" in descriptor) && descriptor.value === undefined) {
  delete ArrayBuffer.prototype.detached;
}
