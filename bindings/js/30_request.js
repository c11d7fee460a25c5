"use strict";
// 30_request.js: Request (https://fetch.spec.whatwg.org/#request-class), the members that make
// sense on a server: method, url, headers, redirect, integrity, keepalive, signal, cf (Workers),
// the body mixin and clone(). mode/credentials/cache/referrer/referrerPolicy/priority/duplex/window
// are validated as the spec's RequestInit demands and otherwise ignored.
//
// URLs are parsed by the URL unit (lazy module "url", loaded on first use; a tenant replacing
// globalThis.URL does not change it). Relative URLs are a TypeError: a server has no base URL.
//
// internal.newIncomingRequest(method, url, flatHeaders, body, id) builds the Request given to the
// handler (body: an ArrayBuffer, null, or true for a body the server streams as it arrives): no validation, headers created only when `.headers` is read, with guard
// "immutable" (as Workers does for the incoming request). It adopts the flat header array.
// internal.parseURL(string) -> serialized absolute URL or TypeError (used by Response.redirect).

const {
  exposeInterface, registerInspect, uncurryThis, headersFromFlat, headersToFlat, headersCopyList,
  headersFill, headersGuard, headersContains, headersAppendGuarded, headersGet, flatListGet,
  extractBody, extractedContentType, cloneBody, bodyUnusable, installBodyMixin, BODY_USED, TOKEN,
} = internal;
const ObjectFreeze = Object.freeze;
const { ArrayPrototypeSlice, ArrayPrototypePush, RegExpPrototypeTest } = internal.primordials;
const ArrayPrototypeIncludes = uncurryThis(Array.prototype.includes);
const StringPrototypeToUpperCase = uncurryThis(String.prototype.toUpperCase);
const $Uint8Array = Uint8Array;
const $TypeError = TypeError;

// ---------------------------------------------------------------------------------------------
// URLs

function invalidURL(input) {
  return new $TypeError(`Invalid URL: "${input}" (an absolute URL is required)`);
}

// -> a URL object (whatwg-url's), or throws a TypeError.
function parseURLRecord(input) {
  const { URL } = internal.require("url");
  try {
    return new URL(input);
  } catch {
    throw invalidURL(input);
  }
}

function parseURL(input) {
  return parseURLRecord(input).href;
}

// ---------------------------------------------------------------------------------------------
// RequestInit

const REQUEST_CACHE = ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"];
const REQUEST_CREDENTIALS = ["omit", "same-origin", "include"];
const REQUEST_DUPLEX = ["half"];
const REQUEST_MODE = ["navigate", "same-origin", "no-cors", "cors"];
const REQUEST_PRIORITY = ["high", "low", "auto"];
const REQUEST_REDIRECT = ["follow", "error", "manual"];
const REFERRER_POLICY = [
  "", "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
  "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url",
];

function toEnum(value, allowed, type) {
  const text = `${value}`;
  if (!ArrayPrototypeIncludes(allowed, text)) {
    throw new $TypeError(`Failed to construct 'Request': The provided value '${text}' is not a valid enum value of type ${type}.`);
  }
  return text;
}

// https://fetch.spec.whatwg.org/#concept-method-normalize, with the "is a method" and
// "forbidden method" checks of the constructor.
function normalizeMethod(method) {
  switch (method) {
    case "GET": case "POST": case "PUT": case "DELETE": case "HEAD": case "OPTIONS": case "PATCH":
      return method;
  }
  if (!RegExpPrototypeTest(TOKEN, method)) {
    throw new $TypeError(`Failed to construct 'Request': '${method}' is not a valid HTTP method.`);
  }
  const upper = StringPrototypeToUpperCase(method);
  switch (upper) {
    case "CONNECT": case "TRACE": case "TRACK":
      throw new $TypeError(`Failed to construct 'Request': '${method}' HTTP method is unsupported.`);
    case "DELETE": case "GET": case "HEAD": case "OPTIONS": case "POST": case "PUT":
      return upper;
  }
  return method;
}

// An AbortSignal exists only if the events module was loaded in this context.
function isAbortSignal(value) {
  const events = internal.loaded("events");
  return events !== undefined && value instanceof events.AbortSignal;
}

function newAbortSignal() {
  return internal.require("events").signalAccess.create();
}

// Members rarely read, kept out of the Request object itself. The incoming request shares one
// frozen instance (copied on write).
function makeExtra(guard) {
  return { redirect: "follow", signal: null, cf: undefined, integrity: "", keepalive: false, guard };
}
function copyExtra(extra, guard) {
  return {
    redirect: extra.redirect, signal: extra.signal, cf: extra.cf, integrity: extra.integrity,
    keepalive: extra.keepalive, guard,
  };
}
// An incoming request's `cf` is made on its first read (CF_PENDING until then): most handlers
// never read it, and it costs a call to the connection (TCP_INFO) and a JSON parse.
const CF_PENDING = ObjectFreeze({ __proto__: null });
const INCOMING_EXTRA = makeExtra("immutable");
INCOMING_EXTRA.cf = CF_PENDING;
ObjectFreeze(INCOMING_EXTRA);

// ---------------------------------------------------------------------------------------------

const kInternal = {};
let newIncomingRequest;

// The stream of an incoming body the server streams; its Content-Length (validated by the
// server's parser: digits only, one value) makes its length known to fetch().
function newUploadStream(id, flat) {
  const lengthText = flatListGet(flat, "content-length");
  const length = lengthText === null ? -1 : +lengthText;
  return internal.require("streams").bodyStreams.newUpload(id, length >= 0 ? length : -1);
}
let bodyAccess;

class Request {
  #id;      // incoming requests: the server's request id (for request.cf)
  #method;
  #url;
  #headers; // Headers, or null while the list lives in #flat
  #flat;    // flat header list until #headers is created
  #body;
  #extra;

  constructor(input, init = undefined) {
    if (input === kInternal) return;
    if (arguments.length < 1) throw new $TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    // Web IDL converts the arguments first: input (Request or USVString), then the RequestInit
    // dictionary (getters run here); the constructor steps come after.
    let inputRequest = null;
    let inputText = null;
    if (input !== null && typeof input === "object" && #method in input) inputRequest = input;
    else inputText = `${input}`;
    const extra = makeExtra("request");
    let methodText;
    let redirectText;
    let integrityText;
    let keepaliveValue;
    let signalValue;
    let initBody = null;
    let initHeaders;
    let modeText;
    if (init !== undefined && init !== null) {
      if (typeof init !== "object" && typeof init !== "function") {
        throw new $TypeError("Failed to construct 'Request': The provided value is not of type 'RequestInit'.");
      }
      // Dictionary members are read and converted in lexicographic order (Web IDL).
      const body = init.body;
      if (body !== undefined) initBody = body;
      const cache = init.cache;
      if (cache !== undefined) toEnum(cache, REQUEST_CACHE, "RequestCache");
      const cf = init.cf;
      const credentials = init.credentials;
      if (credentials !== undefined) toEnum(credentials, REQUEST_CREDENTIALS, "RequestCredentials");
      const duplex = init.duplex;
      if (duplex !== undefined) toEnum(duplex, REQUEST_DUPLEX, "RequestDuplex");
      initHeaders = init.headers;
      const integrity = init.integrity;
      if (integrity !== undefined) extra.integrity = integrityText = `${integrity}`;
      const keepalive = init.keepalive;
      if (keepalive !== undefined) extra.keepalive = keepaliveValue = !!keepalive;
      const initMethod = init.method;
      if (initMethod !== undefined) methodText = `${initMethod}`;
      const mode = init.mode;
      if (mode !== undefined && (modeText = toEnum(mode, REQUEST_MODE, "RequestMode")) === "navigate") {
        throw new $TypeError("Failed to construct 'Request': Cannot construct a Request with a RequestInit whose mode member is set as 'navigate'.");
      }
      const priority = init.priority;
      if (priority !== undefined) toEnum(priority, REQUEST_PRIORITY, "RequestPriority");
      const redirect = init.redirect;
      if (redirect !== undefined) extra.redirect = redirectText = toEnum(redirect, REQUEST_REDIRECT, "RequestRedirect");
      const referrer = init.referrer;
      if (referrer !== undefined) `${referrer}`; // USVString conversion; the referrer is not used
      const referrerPolicy = init.referrerPolicy;
      if (referrerPolicy !== undefined) toEnum(referrerPolicy, REFERRER_POLICY, "ReferrerPolicy");
      const signal = init.signal;
      if (signal !== undefined) {
        if (signal !== null && (typeof signal !== "object" || !isAbortSignal(signal))) {
          throw new $TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
        }
        extra.signal = signalValue = signal;
      }
      const window = init.window;
      if (window !== undefined && window !== null) {
        throw new $TypeError("Failed to construct 'Request': 'window' can only be null.");
      }
      if (cf !== undefined) extra.cf = cf;
    }

    let method;
    let url;
    let inputList; // read-only
    let inputBody = null;
    if (inputRequest !== null) {
      method = inputRequest.#method;
      url = inputRequest.#url;
      inputList = inputRequest.#headers !== null ? headersToFlat(inputRequest.#headers) : inputRequest.#flat;
      inputBody = inputRequest.#body;
      const inputExtra = inputRequest.#extra;
      if (redirectText === undefined) extra.redirect = inputExtra.redirect;
      if (integrityText === undefined) extra.integrity = inputExtra.integrity;
      if (keepaliveValue === undefined) extra.keepalive = inputExtra.keepalive;
      if (signalValue === undefined) extra.signal = inputExtra.signal;
      if (extra.cf === undefined) extra.cf = inputRequest.#cf();
    } else {
      const parsed = parseURLRecord(inputText);
      url = parsed.href;
      if (parsed.username !== "" || parsed.password !== "") {
        throw new $TypeError(`Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: ${url}`);
      }
      method = "GET";
      inputList = null;
    }
    if (methodText !== undefined) method = normalizeMethod(methodText);
    // https://fetch.spec.whatwg.org/#dom-request (steps 32-33): a no-cors request (its mode given,
    // or taken from the input request) keeps only no-CORS-safelisted request-headers.
    const noCors = modeText !== undefined ? modeText === "no-cors"
      : inputRequest !== null && inputRequest.#extra.guard === "request-no-cors";
    if (noCors) {
      if (method !== "GET" && method !== "HEAD" && method !== "POST") {
        throw new $TypeError(`Failed to construct 'Request': '${method}' is unsupported in no-cors mode.`);
      }
      extra.guard = "request-no-cors";
    }

    let headers = null;
    let flat = null;
    if (initHeaders !== undefined) {
      headers = headersFromFlat([], extra.guard);
      headersFill(headers, initHeaders);
    } else if (noCors) {
      headers = headersFromFlat([], extra.guard);
      if (inputList !== null) headersFill(headers, headersFromFlat(ArrayPrototypeSlice(inputList), "none"));
    } else {
      flat = inputList === null ? [] : ArrayPrototypeSlice(inputList);
    }

    if ((initBody !== null || inputBody !== null) && (method === "GET" || method === "HEAD")) {
      throw new $TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
    }
    let body = null;
    if (initBody !== null) {
      // A stream body needs no `duplex: "half"` (the Fetch spec demands it, Cloudflare Workers
      // does not, and the proxy idiom `fetch(url, {method, headers, body: request.body})` relies
      // on that); "half" is still accepted, any other value is a TypeError.
      body = extractBody(initBody);
      const type = extractedContentType();
      if (type !== null) {
        if (headers !== null) {
          if (!headersContains(headers, "content-type")) headersAppendGuarded(headers, "content-type", type);
        } else if (flatListGet(flat, "content-type") === null) {
          ArrayPrototypePush(flat, "content-type", type);
        }
      }
    } else if (inputBody !== null) {
      if (bodyUnusable(inputRequest, inputBody)) {
        throw new $TypeError("Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.");
      }
      // The body moves to the new request; the input is left disturbed.
      body = inputBody;
      inputRequest.#body = BODY_USED;
    }

    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#flat = flat;
    this.#body = body;
    this.#extra = extra;
  }

  get method() {
    return this.#method;
  }

  get url() {
    return this.#url;
  }

  get headers() {
    let headers = this.#headers;
    if (headers === null) {
      headers = this.#headers = headersFromFlat(this.#flat, this.#extra.guard);
      this.#flat = null;
    }
    return headers;
  }

  get redirect() {
    return this.#extra.redirect;
  }

  get integrity() {
    return this.#extra.integrity;
  }

  get keepalive() {
    return this.#extra.keepalive;
  }

  // The request's signal: made on first read (a signal that never aborts) when none was given.
  get signal() {
    let extra = this.#extra;
    if (extra.signal === null) {
      const signal = newAbortSignal();
      extra = this.#extra = copyExtra(extra, extra.guard);
      extra.signal = signal;
    }
    return extra.signal;
  }

  // Cloudflare's request.cf: for an incoming request what atoll knows (lazy module request_cf), else the `cf`
  // member given to the constructor (or the input request's).
  get cf() {
    return this.#cf();
  }

  #cf() {
    let extra = this.#extra;
    if (extra.cf === CF_PENDING) {
      const cf = internal.require("request_cf").incomingCf(this.#id);
      extra = this.#extra = copyExtra(extra, extra.guard);
      extra.cf = cf;
    }
    return extra.cf;
  }

  clone() {
    const body = this.#body;
    if (bodyUnusable(this, body)) {
      throw new $TypeError("Failed to execute 'clone' on 'Request': Request body is already used.");
    }
    const request = new Request(kInternal);
    request.#id = this.#id;
    request.#method = this.#method;
    request.#url = this.#url;
    if (this.#headers !== null) {
      request.#headers = headersFromFlat(headersCopyList(this.#headers), headersGuard(this.#headers));
      request.#flat = null;
    } else {
      request.#headers = null;
      request.#flat = ArrayPrototypeSlice(this.#flat);
    }
    request.#body = cloneBody(body, (branch) => {
      this.#body = branch;
    });
    request.#extra = this.#extra === INCOMING_EXTRA ? INCOMING_EXTRA : copyExtra(this.#extra, this.#extra.guard);
    return request;
  }

  static {
    newIncomingRequest = (method, url, flat, body, id) => {
      const request = new Request(kInternal);
      request.#id = id;
      request.#method = method;
      request.#url = url;
      request.#headers = null;
      request.#flat = flat;
      request.#body = body === null ? null : body === true ? newUploadStream(id, flat) : new $Uint8Array(body);
      request.#extra = INCOMING_EXTRA;
      return request;
    };
    // request.cf made now, while the request is still on its connection: waitUntil work may read
    // it after the response went out, when the connection no longer knows the request.
    internal.settleCf = (request) => {
      if (request.#extra.cf === CF_PENDING) request.#cf();
    };
    // What fetch() sends (js/lazy/fetch.js): the body is taken (the request is left used).
    internal.requestParts = (request) => {
      const body = request.#body;
      if (body !== null) request.#body = BODY_USED;
      return {
        method: request.#method,
        url: request.#url,
        headers: request.#headers !== null ? headersToFlat(request.#headers) : ArrayPrototypeSlice(request.#flat),
        body,
        redirect: request.#extra.redirect,
        signal: request.#extra.signal,
      };
    };
    bodyAccess = {
      has: (o) => o !== null && typeof o === "object" && #method in o,
      get: (o) => o.#body,
      set: (o, body) => {
        o.#body = body;
      },
      contentType: (o) => (o.#headers !== null ? headersGet(o.#headers, "content-type") : flatListGet(o.#flat, "content-type")),
    };
  }
}

installBodyMixin(Request, bodyAccess);
exposeInterface(Request, "Request");
registerInspect(Request, (request) => ({
  method: request.method,
  url: request.url,
  headers: request.headers,
  redirect: request.redirect,
  bodyUsed: request.bodyUsed,
}));

internal.newIncomingRequest = newIncomingRequest;
internal.parseURL = parseURL;
internal.isRequest = bodyAccess.has;
internal.Request = Request;
