"use strict";
// 40_response.js: Response (https://fetch.spec.whatwg.org/#response-class).
//
// Hot path: `new Response("hello")` allocates the Response and nothing else. The Headers object
// is created on the first `.headers` read; until then the only header a constructor can produce,
// the body's Content-Type, waits in a slot, and native.respond receives a shared frozen flat list
// for it.
//
// internal.sendResponse(id, value) -> false if `value` is not a Response; otherwise completes
// request `id` with native.respond(id, status, statusText, flatHeaders, body) (body: a string, a
// Uint8Array or null) or native.fail(id, ...) for Response.error() and used bodies, and returns
// true. Sending consumes the body, as in Workers: a Response can be returned once. A stream body
// goes as native.respond(..., null, true), then chunk by chunk (js/lazy/streams.js pumpResponse).

const {
  uncurryThis, exposeInterface, registerInspect, headersFromFlat, headersToFlat, headersCopyList,
  headersFill, headersGuard, headersContains, headersAppendRaw, headersGet, extractBody,
  extractedContentType, cloneBody, bodyUnusable, installBodyMixin, parseURL, BODY_USED, TEXT_PLAIN,
  isStreamBody, dropUpload,
} = internal;
const nativeRespond = native.respond;
const nativeFail = native.fail;
const nativeAcceptsCoding = native.acceptsCoding;
const ObjectFreeze = Object.freeze;
const { RegExpPrototypeTest } = internal.primordials;
const JSONStringify = JSON.stringify;
const MathTrunc = Math.trunc;
const NumberIsFinite = Number.isFinite;
const $TypeError = TypeError;
const $RangeError = RangeError;

const JSON_TYPE = "application/json";
const NO_HEADERS = ObjectFreeze([]);
const TEXT_PLAIN_HEADERS = ObjectFreeze(["content-type", TEXT_PLAIN]);
const JSON_HEADERS = ObjectFreeze(["content-type", JSON_TYPE]);
// https://httpwg.org/specs/rfc9112.html#status.line: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

// A stream of one chunk, `bytes`.
function bytesStream(bytes) {
  const { ReadableStream } = internal.require("streams");
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

// Web IDL `unsigned short` conversion (ToNumber, truncate, modulo 2^16).
function toUnsignedShort(value) {
  let n = +value;
  if (!NumberIsFinite(n)) return 0;
  n = MathTrunc(n) % 65536;
  if (n < 0) n += 65536;
  return n === 0 ? 0 : n;
}

function isNullBodyStatus(status) {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

function isRedirectStatus(status) {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

// Web IDL conversion of a ResponseInit (members in lexicographic order: encodeBody, headers,
// status, statusText, webSocket) -> [headersInit, status, statusText, webSocket, manual]. `init`
// is neither undefined nor null.
function convertInit(init) {
  if (typeof init !== "object" && typeof init !== "function") {
    throw new $TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
  }
  // Workers' extension: `encodeBody`, "automatic" (the server compresses the body with the coding
  // its Content-Encoding names) or "manual" (the body is already coded). From a Response, its own.
  const encodeBody = init.encodeBody;
  let manual = bodyAccess.has(init) ? WeakSetHas(manualEncoding, init) : false;
  if (encodeBody !== undefined) {
    const text = `${encodeBody}`;
    if (text !== "automatic" && text !== "manual") {
      throw new $TypeError(`Failed to construct 'Response': encodeBody must be "automatic" or "manual", not "${text}".`);
    }
    manual = text === "manual";
  }
  const headersInit = init.headers;
  const statusInit = init.status;
  const status = statusInit === undefined ? 200 : toUnsignedShort(statusInit);
  const statusTextInit = init.statusText;
  const statusText = statusTextInit === undefined ? "" : `${statusTextInit}`;
  // Workers' extension: `webSocket`, the client end of a WebSocketPair (js/lazy/websocket.js).
  let webSocket = init.webSocket;
  if (webSocket === undefined) webSocket = null;
  if (webSocket !== null) {
    const isWebSocket = internal.isWebSocket;
    if (isWebSocket === undefined || !isWebSocket(webSocket)) {
      throw new $TypeError("Failed to construct 'Response': webSocket is not a WebSocket.");
    }
  }
  return [headersInit, status, statusText, webSocket, manual];
}

const kInternal = {};
// url and redirected of responses fetch() made (https://fetch.spec.whatwg.org/#concept-response-url-list);
// every other Response has "" and false.
const fetchedInfo = new WeakMap();
const WeakMapGet = uncurryThis(WeakMap.prototype.get);
const WeakMapSet = uncurryThis(WeakMap.prototype.set);
const WeakSetHas = uncurryThis(WeakSet.prototype.has);
const WeakSetAdd = uncurryThis(WeakSet.prototype.add);
// Responses whose encodeBody is "manual" (few: a WeakSet keeps the hot path's objects as they were).
const manualEncoding = new WeakSet();
// A body fetch() decoded (js/lazy/fetch.js) -> { raw, coding, started }: `raw` is the stream as it
// came, `coding` its Content-Encoding, `started` true once anything read the decoded stream. A
// Response sent with such a body untouched and the same Content-Encoding sends `raw` (nothing
// decoded, nothing coded again: a proxy passes compressed bytes through).
const codedSources = new WeakMap();
internal.codedSources = codedSources;
// A FixedLengthStream's readable -> its length (js/lazy/workers_streams.js): a Response with it as
// its body and no Content-Length of its own is sent with that Content-Length, not chunked.
const fixedLengths = new WeakMap();
internal.setFixedLength = (stream, length) => WeakMapSet(fixedLengths, stream, length);
let bodyAccess;
let sendResponse;
let initialize;
let createResponse;

class Response {
  #status;
  #statusText;
  #headers;     // Headers, or null until first read (then the list is #contentType only)
  #contentType; // the body's Content-Type while #headers is null
  #body;
  #type;        // "default" | "error"
  #webSocket = null; // the client end of a WebSocketPair (status 101, js/lazy/websocket.js)

  constructor(body = null, init = undefined) {
    if (body === kInternal) return;
    let value = null;
    let type = null;
    if (body !== null && body !== undefined) {
      if (typeof body === "string") {
        value = body;
        type = TEXT_PLAIN;
      } else {
        value = extractBody(body);
        type = extractedContentType();
      }
    }
    this.#body = value;
    this.#type = "default";
    if (init === undefined || init === null) {
      this.#status = 200;
      this.#statusText = "";
      this.#headers = null;
      this.#contentType = type;
      return;
    }
    initialize(this, convertInit(init), value, type);
  }

  static error() {
    return createResponse(0, "", headersFromFlat([], "immutable"), null, null, "error");
  }

  static redirect(url, status = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'redirect' on 'Response': 1 argument required, but only 0 present.");
    const href = parseURL(`${url}`);
    const code = status === undefined ? 302 : toUnsignedShort(status);
    if (!isRedirectStatus(code)) {
      throw new $RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${code}.`);
    }
    return createResponse(code, "", headersFromFlat(["location", href], "immutable"), null, null, "default");
  }

  static json(data, init = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'json' on 'Response': 1 argument required, but only 0 present.");
    const converted = init === undefined || init === null ? null : convertInit(init);
    const text = JSONStringify(data);
    if (text === undefined) throw new $TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable.");
    const response = new Response(kInternal);
    response.#body = text;
    response.#type = "default";
    if (converted === null) {
      response.#status = 200;
      response.#statusText = "";
      response.#headers = null;
      response.#contentType = JSON_TYPE;
    } else {
      initialize(response, converted, text, JSON_TYPE);
    }
    return response;
  }

  get type() {
    return this.#type;
  }

  get url() {
    this.#type;
    const info = WeakMapGet(fetchedInfo, this);
    return info === undefined ? "" : info.url;
  }

  get redirected() {
    this.#type;
    const info = WeakMapGet(fetchedInfo, this);
    return info === undefined ? false : info.redirected;
  }

  get status() {
    return this.#status;
  }

  get webSocket() {
    return this.#webSocket;
  }

  get ok() {
    const status = this.#status;
    return status >= 200 && status <= 299;
  }

  get statusText() {
    return this.#statusText;
  }

  get headers() {
    let headers = this.#headers;
    if (headers === null) {
      const type = this.#contentType;
      headers = this.#headers = headersFromFlat(type === null ? [] : ["content-type", type], "response");
    }
    return headers;
  }

  clone() {
    const body = this.#body;
    if (bodyUnusable(this, body)) {
      throw new $TypeError("Failed to execute 'clone' on 'Response': Response body is already used.");
    }
    const headers = this.#headers;
    const copy = createResponse(
      this.#status, this.#statusText,
      headers === null ? null : headersFromFlat(headersCopyList(headers), headersGuard(headers)),
      this.#contentType, cloneBody(body, (branch) => {
        this.#body = branch;
      }), this.#type);
    if (WeakSetHas(manualEncoding, this)) WeakSetAdd(manualEncoding, copy);
    return copy;
  }

  static {
    createResponse = (status, statusText, headers, contentType, body, type) => {
      const response = new Response(kInternal);
      response.#status = status;
      response.#statusText = statusText;
      response.#headers = headers;
      response.#contentType = contentType;
      response.#body = body;
      response.#type = type;
      return response;
    };

    // https://fetch.spec.whatwg.org/#initialize-a-response, with the ResponseInit dictionary
    // already converted by convertInit().
    initialize = (response, converted, body, contentType) => {
      const headersInit = converted[0];
      const status = converted[1];
      const statusText = converted[2];
      const webSocket = converted[3];
      if (webSocket !== null && status !== 101) {
        throw new $RangeError("Failed to construct 'Response': a Response with a webSocket must have status 101.");
      }
      response.#webSocket = webSocket;
      if (converted[4]) WeakSetAdd(manualEncoding, response);
      if (webSocket !== null) {
        // no status range check: 101 with a WebSocket (Workers)
      } else if (status < 200 || status > 599) {
        throw new $RangeError(`Failed to construct 'Response': The status provided (${status}) is outside the range [200, 599].`);
      }
      if (statusText !== "" && !RegExpPrototypeTest(REASON_PHRASE, statusText)) {
        throw new $TypeError("Failed to construct 'Response': Invalid statusText.");
      }
      response.#status = status;
      response.#statusText = statusText;
      let headers = null;
      if (headersInit !== undefined) {
        headers = headersFromFlat([], "response");
        headersFill(headers, headersInit);
      }
      if (body !== null && isNullBodyStatus(status)) {
        throw new $TypeError(`Failed to construct 'Response': Response with null body status (${status}) cannot have body.`);
      }
      if (headers !== null) {
        if (contentType !== null && !headersContains(headers, "content-type")) {
          headersAppendRaw(headers, "content-type", contentType);
        }
        response.#headers = headers;
        response.#contentType = null;
      } else {
        response.#headers = null;
        response.#contentType = body === null ? null : contentType;
      }
    };

    // The Response of a fetch(): headers immutable, body null or a stream; webSocket: an upgraded fetch's socket.
    internal.newFetchedResponse = (status, statusText, flat, body, url, redirected, webSocket = null) => {
      const response = createResponse(status, statusText, headersFromFlat(flat, "immutable"), null, body, "default");
      response.#webSocket = webSocket;
      WeakMapSet(fetchedInfo, response, { url, redirected });
      return response;
    };

    sendResponse = (id, response) => {
      if (response === null || typeof response !== "object" || !(#status in response)) return false;
      const status = response.#status;
      if (status === 0) {
        nativeFail(id, "handler returned Response.error() (a network error)");
        return true;
      }
      const webSocket = response.#webSocket;
      if (webSocket !== null) {
        const headers = response.#headers;
        if (!internal.require("websocket").sendUpgrade(id, webSocket, headers === null ? NO_HEADERS : headersToFlat(headers))) {
          nativeFail(id, "the WebSocket was refused (already returned, or over the tenant's max_websockets)");
        }
        dropUpload(id);
        return true;
      }
      let body = response.#body;
      if (body !== null) {
        if (bodyUnusable(response, body)) {
          nativeFail(id, "TypeError: the handler returned a Response whose body was already used");
          return true;
        }
        response.#body = BODY_USED;
      }
      let flat;
      const headers = response.#headers;
      if (headers !== null) {
        flat = headersToFlat(headers);
      } else {
        const type = response.#contentType;
        flat = type === null ? NO_HEADERS : type === TEXT_PLAIN ? TEXT_PLAIN_HEADERS : type === JSON_TYPE ? JSON_HEADERS : ["content-type", type];
      }
      // Content-Encoding: the server codes the body (encodeBody "automatic"), unless it is a
      // fetched body passed on untouched (sent as it came) or the Response says "manual".
      let encode = false;
      const coding = headers === null || body === null ? null : headersGet(headers, "content-encoding");
      if (coding !== null) {
        const source = isStreamBody(body) ? WeakMapGet(codedSources, body) : undefined;
        // Passed through only to a client that takes the coding; else decoded here and sent
        // uncoded (the server drops the coding its client does not take: tenant_runtime.cc).
        if (source !== undefined && !source.started && source.coding === coding && nativeAcceptsCoding(id, coding)) {
          source.started = true;
          body = source.raw;
        } else if (!WeakSetHas(manualEncoding, response)) {
          encode = true;
        } else if (!nativeAcceptsCoding(id, coding) && typeof body !== "string") {
          // Coded by the handler ("manual"): as it is to a client that takes the coding, decoded
          // for one that does not (sent uncoded, the header dropped: as Cloudflare's edge does).
          const raw = isStreamBody(body) ? body : bytesStream(body);
          const decoded = internal.require("compression").decodedBody(raw, coding, "the response");
          if (decoded !== null) {
            body = decoded.stream;
            encode = true;
          }
        }
      }
      if (isStreamBody(body)) {
        const length = encode ? undefined : WeakMapGet(fixedLengths, body);
        if (length !== undefined && (headers === null || headersGet(headers, "content-length") === null)) {
          const copy = [];
          for (let i = 0; i < flat.length; i++) copy[i] = flat[i];
          copy[flat.length] = "content-length";
          copy[flat.length + 1] = `${length}`;
          flat = copy;
        }
        const { bodyStreams } = internal.require("streams");
        if (nativeRespond(id, status, response.#statusText, flat, null, true, false, encode)) bodyStreams.pumpResponse(id, body);
        else bodyStreams.cancel(body);
      } else {
        nativeRespond(id, status, response.#statusText, flat, body, false, false, encode);
        dropUpload(id);
      }
      return true;
    };

    bodyAccess = {
      has: (o) => o !== null && typeof o === "object" && #status in o,
      get: (o) => o.#body,
      set: (o, body) => {
        o.#body = body;
      },
      contentType: (o) => (o.#headers !== null ? headersGet(o.#headers, "content-type") : o.#contentType),
    };
  }
}

installBodyMixin(Response, bodyAccess);
exposeInterface(Response, "Response");
registerInspect(Response, (response) => ({
  status: response.status,
  statusText: response.statusText,
  headers: response.headers,
  ok: response.ok,
  redirected: response.redirected,
  type: response.type,
  url: response.url,
  bodyUsed: response.bodyUsed,
}));

internal.sendResponse = sendResponse;
internal.isResponse = bodyAccess.has;
internal.Response = Response;
