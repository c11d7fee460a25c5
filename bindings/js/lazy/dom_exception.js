// DOMException (https://webidl.spec.whatwg.org/#idl-DOMException). Hand-written: small, and the
// one piece every other Web API throws. internal.require("dom_exception").DOMException.
const { exposeInterface } = internal;

// name -> legacy code (https://webidl.spec.whatwg.org/#dfn-error-names-table)
const LEGACY_CODES = {
  __proto__: null,
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};
const CONSTANTS = [
  ["INDEX_SIZE_ERR", 1], ["DOMSTRING_SIZE_ERR", 2], ["HIERARCHY_REQUEST_ERR", 3], ["WRONG_DOCUMENT_ERR", 4],
  ["INVALID_CHARACTER_ERR", 5], ["NO_DATA_ALLOWED_ERR", 6], ["NO_MODIFICATION_ALLOWED_ERR", 7],
  ["NOT_FOUND_ERR", 8], ["NOT_SUPPORTED_ERR", 9], ["INUSE_ATTRIBUTE_ERR", 10], ["INVALID_STATE_ERR", 11],
  ["SYNTAX_ERR", 12], ["INVALID_MODIFICATION_ERR", 13], ["NAMESPACE_ERR", 14], ["INVALID_ACCESS_ERR", 15],
  ["VALIDATION_ERR", 16], ["TYPE_MISMATCH_ERR", 17], ["SECURITY_ERR", 18], ["NETWORK_ERR", 19],
  ["ABORT_ERR", 20], ["URL_MISMATCH_ERR", 21], ["QUOTA_EXCEEDED_ERR", 22], ["TIMEOUT_ERR", 23],
  ["INVALID_NODE_TYPE_ERR", 24], ["DATA_CLONE_ERR", 25],
];

const ErrorCaptureStackTrace = Error.captureStackTrace;

class DOMException {
  #name;
  #message;

  constructor(message = "", options = "Error") {
    this.#message = `${message}`;
    // The WinterTC / Node extension: new DOMException(message, { name, cause }).
    if (options !== null && typeof options === "object") {
      this.#name = options.name === undefined ? "Error" : `${options.name}`;
      if ("cause" in options) {
        Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true, enumerable: false });
      }
    } else {
      this.#name = `${options}`;
    }
    ErrorCaptureStackTrace(this, DOMException);
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
Object.setPrototypeOf(DOMException.prototype, Error.prototype);
for (const [name, value] of CONSTANTS) {
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  Object.defineProperty(DOMException, name, descriptor);
  Object.defineProperty(DOMException.prototype, name, descriptor);
}
const isDOMException = DOMException.isDOMException;
delete DOMException.isDOMException;
exposeInterface(DOMException, "DOMException", false);

export { DOMException, isDOMException };
