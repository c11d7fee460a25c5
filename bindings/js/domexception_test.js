// DOMException (https://webidl.spec.whatwg.org/#idl-DOMException).
import { test, assert, run } from "./testing/harness.js";

test("construction and attributes", () => {
  const plain = new DOMException();
  assert.equal(plain.name, "Error");
  assert.equal(plain.message, "");
  assert.equal(plain.code, 0);
  const abort = new DOMException("stopped", "AbortError");
  assert.equal(abort.name, "AbortError");
  assert.equal(abort.message, "stopped");
  assert.equal(abort.code, 20);
  assert.equal(new DOMException("x", "NotSupportedError").code, 9);
  assert.equal(new DOMException("x", "DataCloneError").code, 25);
  assert.equal(new DOMException("x", "OperationError").code, 0, "names newer than the legacy table have code 0");
  assert.equal(new DOMException(undefined, undefined).name, "Error", "undefined takes the defaults");
  assert.equal(new DOMException(42, 7).message, "42");
  const withCause = new DOMException("m", { name: "TimeoutError", cause: "why" });
  assert.equal(withCause.name, "TimeoutError");
  assert.equal(withCause.cause, "why");
});

test("is an Error", () => {
  const error = new DOMException("m", "SyntaxError");
  assert.ok(error instanceof DOMException);
  assert.ok(error instanceof Error);
  assert.equal(String(error), "SyntaxError: m");
  assert.equal(typeof error.stack, "string");
  assert.equal(Object.prototype.toString.call(error), "[object DOMException]");
  assert.ok(!Object.prototype.hasOwnProperty.call(error, "name"), "name is an accessor on the prototype");
  assert.throws(() => DOMException("x"), TypeError, "calling without new");
  const getter = Object.getOwnPropertyDescriptor(DOMException.prototype, "name").get;
  assert.throws(() => getter.call({}), TypeError, "brand check");
});

test("legacy constants", () => {
  assert.equal(DOMException.INDEX_SIZE_ERR, 1);
  assert.equal(DOMException.ABORT_ERR, 20);
  assert.equal(DOMException.DATA_CLONE_ERR, 25);
  assert.equal(DOMException.prototype.TIMEOUT_ERR, 23);
  assert.equal(Object.getOwnPropertyDescriptor(DOMException, "ABORT_ERR").writable, false);
  // All 25, on both, as WebIDL defines constants, in code order after what the class defines,
  // and nothing else (the module's loading leaves no key of its own behind).
  const names = [
    "INDEX_SIZE_ERR", "DOMSTRING_SIZE_ERR", "HIERARCHY_REQUEST_ERR", "WRONG_DOCUMENT_ERR", "INVALID_CHARACTER_ERR",
    "NO_DATA_ALLOWED_ERR", "NO_MODIFICATION_ALLOWED_ERR", "NOT_FOUND_ERR", "NOT_SUPPORTED_ERR", "INUSE_ATTRIBUTE_ERR",
    "INVALID_STATE_ERR", "SYNTAX_ERR", "INVALID_MODIFICATION_ERR", "NAMESPACE_ERR", "INVALID_ACCESS_ERR",
    "VALIDATION_ERR", "TYPE_MISMATCH_ERR", "SECURITY_ERR", "NETWORK_ERR", "ABORT_ERR", "URL_MISMATCH_ERR",
    "QUOTA_EXCEEDED_ERR", "TIMEOUT_ERR", "INVALID_NODE_TYPE_ERR", "DATA_CLONE_ERR",
  ];
  for (const object of [DOMException, DOMException.prototype]) {
    names.forEach((name, i) => {
      assert.deepEqual(Object.getOwnPropertyDescriptor(object, name),
                       { value: i + 1, writable: false, enumerable: true, configurable: false }, name);
    });
  }
  assert.deepEqual(Reflect.ownKeys(DOMException), ["length", "name", "prototype", ...names]);
  assert.deepEqual(Reflect.ownKeys(DOMException.prototype),
                   ["constructor", "name", "message", "code", ...names, Symbol.toStringTag]);
  assert.deepEqual(Object.keys(new DOMException("m")), []);
});

test("platform errors are DOMExceptions", () => {
  const controller = new AbortController();
  controller.abort();
  assert.ok(controller.signal.reason instanceof DOMException);
  assert.equal(assert.throws(() => atob("*"), DOMException).name, "InvalidCharacterError");
  assert.equal(assert.throws(() => structuredClone(Symbol()), DOMException).code, 25);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
