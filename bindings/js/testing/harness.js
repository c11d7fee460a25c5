// A tiny test harness for the JS API tests (bindings/js/*_test.js). Each test file registers
// tests with test(name, fn) and answers run()'s result from its fetch handler:
//   export default { async fetch() { return Response.json(await run()); } };
// run() -> { passed, failed, failures: [{ name, message }], assertions }.
// No eval, no node APIs: it runs inside the atoll sandbox.

const tests = [];
let assertions = 0;

export function test(name, fn) {
  tests.push({ name, fn });
}

class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  if (Object.is(value, -0)) return "-0";
  if (value instanceof Uint8Array) return `Uint8Array [${Array.from(value).join(", ")}]`;
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch {}
    return Object.prototype.toString.call(value);
  }
  return String(value);
}

function fail(message, detail) {
  throw new AssertionError(message ? `${message}: ${detail}` : detail);
}

function isDeepEqual(a, b, seen = []) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.some(([x, y]) => x === a && y === b)) return true;
  seen = [...seen, [a, b]];
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof ArrayBuffer) return isDeepEqual(new Uint8Array(a), new Uint8Array(b), seen);
  if (a instanceof Map || a instanceof Set) {
    return isDeepEqual([...a], [...b], seen);
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!isDeepEqual(a[k], b[k], seen)) return false;
  }
  return true;
}

// expected: an error class (instanceof), a string (error.name), a RegExp (error.message), or
// an object { name?, message? (string or RegExp) }.
function checkError(error, expected, message) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (!(error instanceof expected)) fail(message, `expected ${expected.name}, got ${show(error && error.name)}: ${error && error.message}`);
  } else if (typeof expected === "string") {
    if (!error || error.name !== expected) fail(message, `expected ${expected}, got ${show(error && error.name)}: ${error && error.message}`);
  } else if (expected instanceof RegExp) {
    if (!error || !expected.test(String(error.message))) fail(message, `message ${show(error && error.message)} does not match ${expected}`);
  } else {
    if (expected.name !== undefined && (!error || error.name !== expected.name)) {
      fail(message, `expected ${expected.name}, got ${show(error && error.name)}`);
    }
    if (expected.code !== undefined && (!error || error.code !== expected.code)) {
      fail(message, `expected code ${show(expected.code)}, got ${show(error && error.code)}: ${error && error.message}`);
    }
    if (expected.message !== undefined) {
      const ok = expected.message instanceof RegExp ? expected.message.test(String(error.message)) : error.message === expected.message;
      if (!ok) fail(message, `unexpected message ${show(error && error.message)}`);
    }
  }
}

export const assert = {
  ok(value, message) {
    assertions++;
    if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
  },
  equal(actual, expected, message) {
    assertions++;
    if (!Object.is(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
  },
  notEqual(actual, expected, message) {
    assertions++;
    if (Object.is(actual, expected)) fail(message, `expected a value other than ${show(expected)}`);
  },
  deepEqual(actual, expected, message) {
    assertions++;
    if (!isDeepEqual(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
  },
  throws(fn, expected, message) {
    assertions++;
    try {
      fn();
    } catch (error) {
      checkError(error, expected, message);
      return error;
    }
    fail(message, "expected the function to throw");
  },
  async rejects(promiseOrFn, expected, message) {
    assertions++;
    let promise;
    try {
      promise = typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn;
    } catch (error) {
      fail(message, `expected a rejected promise, but the function threw ${show(error && error.name)}`);
    }
    if (!promise || typeof promise.then !== "function") fail(message, "expected a promise");
    try {
      await promise;
    } catch (error) {
      checkError(error, expected, message);
      return error;
    }
    fail(message, "expected the promise to reject");
  },
};

export async function run() {
  let passed = 0;
  let failed = 0;
  const failures = [];
  assertions = 0;
  for (const { name, fn } of tests) {
    try {
      await fn();
      passed++;
    } catch (error) {
      failed++;
      failures.push({ name, message: String((error && error.stack) || error) });
    }
  }
  return { passed, failed, failures, assertions };
}
