// DOMException (https://webidl.spec.whatwg.org/#idl-DOMException). Hand-written: small, and the
// one piece every other Web API throws. internal.require("dom_exception").DOMException.
// Written against internal.primordials only (no method call on a built-in, no for...of): harden.mjs
// leaves it as it is, so loading it (streams and encoding do) loads no safe-calls runtime.
const { exposeInterface } = internal;
const { $Error, ErrorCaptureStackTrace, ObjectDefineProperty, ObjectSetPrototypeOf, $Symbol } = internal.primordials;

// name -> legacy code (https://webidl.spec.whatwg.org/#dfn-error-names-table)
const LEGACY_CODES = {
  __proto__: null,
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};
// The legacy code constants, in code order (1, 2, ...).
const CONSTANTS = [
  "INDEX_SIZE_ERR", "DOMSTRING_SIZE_ERR", "HIERARCHY_REQUEST_ERR", "WRONG_DOCUMENT_ERR", "INVALID_CHARACTER_ERR",
  "NO_DATA_ALLOWED_ERR", "NO_MODIFICATION_ALLOWED_ERR", "NOT_FOUND_ERR", "NOT_SUPPORTED_ERR", "INUSE_ATTRIBUTE_ERR",
  "INVALID_STATE_ERR", "SYNTAX_ERR", "INVALID_MODIFICATION_ERR", "NAMESPACE_ERR", "INVALID_ACCESS_ERR",
  "VALIDATION_ERR", "TYPE_MISMATCH_ERR", "SECURITY_ERR", "NETWORK_ERR", "ABORT_ERR", "URL_MISMATCH_ERR",
  "QUOTA_EXCEEDED_ERR", "TIMEOUT_ERR", "INVALID_NODE_TYPE_ERR", "DATA_CLONE_ERR",
];

class DOMException {
  #name;
  #message;

  constructor(message = "", options = "Error") {
    this.#message = `${message}`;
    // The WinterTC / Node extension: new DOMException(message, { name, cause }).
    if (options !== null && typeof options === "object") {
      this.#name = options.name === undefined ? "Error" : `${options.name}`;
      if ("cause" in options) {
        ObjectDefineProperty(this, "cause", { value: options.cause, writable: true, configurable: true, enumerable: false });
      }
    } else {
      this.#name = `${options}`;
    }
    // new.target, not the class's name: esbuild would rename a class that names itself in its
    // body (`class _DOMException`, and DOMException.name with it; build.mjs refuses that).
    ErrorCaptureStackTrace(this, new.target);
  }

  get name() {
    return this.#name;
  }

  get message() {
    return this.#message;
  }

  get code() {
    return LEGACY_CODES[this.#name] ?? 0;
  }

  static isDOMException(value) {
    return value !== null && typeof value === "object" && #name in value;
  }
}
ObjectSetPrototypeOf(DOMException.prototype, $Error.prototype);

// V8 adds a property to an object in fast mode by making a hidden class that copies the one
// before: the 25 constants on the constructor and on the prototype were 50 such copies, growing
// to 25 entries, half of what a first DOMException cost (callgrind). An object that had a
// property deleted other than its last keeps its properties in a dictionary, where each is one
// insertion (V8 makes a prototype fast again when code first reads through it).
function toDictionaryMode(object) {
  const first = $Symbol(), second = $Symbol();
  object[first] = undefined;
  object[second] = undefined;
  delete object[first];
  delete object[second];
}
toDictionaryMode(DOMException);
toDictionaryMode(DOMException.prototype);
// One descriptor for all (a null-prototype literal is made by the runtime each time, ~5K
// instructions).
const descriptor = { __proto__: null, value: 0, writable: false, enumerable: true, configurable: false };
for (let i = 0; i < CONSTANTS.length; i++) {
  descriptor.value = i + 1;
  ObjectDefineProperty(DOMException, CONSTANTS[i], descriptor);
  ObjectDefineProperty(DOMException.prototype, CONSTANTS[i], descriptor);
}
const isDOMException = DOMException.isDOMException;
delete DOMException.isDOMException;
exposeInterface(DOMException, "DOMException", false);

module.exports = { DOMException, isDOMException };
