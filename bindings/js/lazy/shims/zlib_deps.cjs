// What browserify-zlib (node:zlib) takes from `assert` and `util`: assert() / ok(), equal()
// and inherits(). Given these instead of node:assert and node:util, a tenant that imports only
// node:zlib does not load those two modules (~1.5 MB of a context). CommonJS (.cjs): zlib calls
// the module itself.
function ok(value, message) {
  if (!value) throw new Error(message || "assertion failed");
}

function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual != expected) throw new Error(message || `${actual} == ${expected}`);
}

function inherits(constructor, superConstructor) {
  Object.setPrototypeOf(constructor.prototype, superConstructor.prototype);
  Object.setPrototypeOf(constructor, superConstructor);
}

ok.ok = ok;
ok.equal = equal;
ok.inherits = inherits;
module.exports = ok;
