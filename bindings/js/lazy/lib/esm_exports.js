// A Node module's exports made from an ES module namespace (unenv's polyfills are ES modules):
// its default export, the object Node's require() returns, with each named export the default
// lacks added to it, so that `import { name } from "node:x"` links (a built-in's named exports
// are its exports' own enumerable properties, isolates/script_loader.cc).
export function esmExports(namespace) {
  const exports = namespace.default !== undefined && namespace.default !== null ? namespace.default : {};
  for (const key of Object.keys(namespace)) {
    if (key !== "default" && !Object.hasOwn(exports, key)) exports[key] = namespace[key];
  }
  return exports;
}
