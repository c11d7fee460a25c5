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
