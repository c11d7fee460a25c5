// node:http and node:https clients (nodejs_compat; https://nodejs.org/api/http.html), over the
// context's fetch() as Workers' are: http.request()/get() make a ClientRequest (a Writable: the
// body is collected and sent when it ends), whose 'response' is an IncomingMessage (a Readable
// streaming the response body). Redirects are returned, not followed, as in Node. Every request
// is a fetch() subrequest: the outbound policy, the SSRF guard and the subrequest limit apply.
// Agents are accepted and pool nothing (the server keeps connections). The server side is
// node_http_server.js; node:http, node:https and Node's _http_* modules are members of that
// one and of this one (build.mjs).
const EventEmitter = internal.require("node_events");
const { Readable, Writable } = internal.require("node_stream");
const { Buffer } = internal.require("node_buffer");
const { nodeError } = internal.require("node_net_tls");
const { fetch } = internal.require("fetch");
const { URL } = internal.require("url");
const { AbortController } = internal.require("events");

const METHODS = ["ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH",
  "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND",
  "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND",
  "UNLINK", "UNLOCK", "UNSUBSCRIBE"];
const STATUS_CODES = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints", 200: "OK", 201: "Created",
  202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content", 205: "Reset Content",
  206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used", 300: "Multiple Choices",
  301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 305: "Use Proxy",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
  402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
  411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large", 414: "URI Too Long",
  415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a Teapot",
  421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked", 424: "Failed Dependency",
  425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons", 500: "Internal Server Error",
  501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
  505: "HTTP Version Not Supported", 506: "Variant Also Negotiates", 507: "Insufficient Storage",
  508: "Loop Detected", 509: "Bandwidth Limit Exceeded", 510: "Not Extended",
  511: "Network Authentication Required",
};

function codedError(Type, code, message) {
  const error = new Type(message);
  error.code = code;
  return error;
}

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
function validateHeaderName(name) {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw codedError(TypeError, "ERR_INVALID_HTTP_TOKEN", `Header name must be a valid HTTP token ["${name}"]`);
  }
}
function validateHeaderValue(name, value) {
  if (value === undefined) {
    throw codedError(TypeError, "ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "${value}" for header "${name}"`);
  }
  if (INVALID_VALUE.test(`${value}`)) {
    throw codedError(TypeError, "ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
}

// https://nodejs.org/api/http.html#class-httpagent: options kept; nothing pooled.
class Agent extends EventEmitter {
  constructor(options = undefined) {
    super();
    this.options = { path: null, ...options };
    this.keepAlive = this.options.keepAlive === true;
    this.keepAliveMsecs = this.options.keepAliveMsecs ?? 1000;
    this.maxSockets = this.options.maxSockets ?? Infinity;
    this.maxFreeSockets = this.options.maxFreeSockets ?? 256;
    this.maxTotalSockets = this.options.maxTotalSockets ?? Infinity;
    this.defaultPort = this.options.defaultPort ?? 80;
    this.protocol = this.options.protocol ?? "http:";
    this.sockets = {};
    this.freeSockets = {};
    this.requests = {};
  }
  getName(options = {}) {
    return `${options.host ?? "localhost"}:${options.port ?? ""}:${options.localAddress ?? ""}`;
  }
  destroy() {}
}
class HttpsAgent extends Agent {
  constructor(options = undefined) {
    super({ defaultPort: 443, protocol: "https:", ...options });
  }
}

// What a library reads off req.socket / res.socket: a stand-in, since the server holds the
// connection (setTimeout goes to the request, so `req.on("socket", s => s.setTimeout(...))` works).
class FakeSocket extends EventEmitter {
  constructor(request, encrypted) {
    super();
    this.request = request;
    this.encrypted = encrypted;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.writable = true;
    this.readable = true;
  }
  setTimeout(ms, callback) {
    this.request.setTimeout(ms, callback);
    return this;
  }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  ref() { return this; }
  unref() { return this; }
  destroy(error) {
    this.request.destroy(error);
    return this;
  }
  address() { return {}; }
}

const kHeaders = Symbol("headers");
// https://nodejs.org/api/http.html#class-httpoutgoingmessage: headers kept by lower-case name
// with the name as written.
// Not destroyed when its body has been written (a Writable's autoDestroy): a ClientRequest lives
// until its response ends.
class OutgoingMessage extends Writable {
  constructor(options = undefined) {
    super({ autoDestroy: false, ...options });
    this[kHeaders] = new Map();
    this.headersSent = false;
    this.sendDate = false;
    this.finished = false;
  }
  setHeader(name, value) {
    if (this.headersSent) throw codedError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot set headers after they are sent to the client");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this[kHeaders].set(name.toLowerCase(), [name, value]);
    return this;
  }
  appendHeader(name, value) {
    const existing = this.getHeader(name);
    if (existing === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(existing, value));
  }
  getHeader(name) {
    return this[kHeaders].get(`${name}`.toLowerCase())?.[1];
  }
  hasHeader(name) {
    return this[kHeaders].has(`${name}`.toLowerCase());
  }
  removeHeader(name) {
    if (this.headersSent) throw codedError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot remove headers after they are sent to the client");
    this[kHeaders].delete(`${name}`.toLowerCase());
  }
  getHeaders() {
    const out = Object.create(null);
    for (const [key, [, value]] of this[kHeaders]) out[key] = value;
    return out;
  }
  getHeaderNames() {
    return [...this[kHeaders].keys()];
  }
  getRawHeaderNames() {
    return [...this[kHeaders].values()].map(([name]) => name);
  }
  flushHeaders() {}
  // [name, value] pairs for a fetch Headers init (a value list becomes one pair each), but the
  // names in `skipped` (lower case).
  headerList(skipped) {
    const list = [];
    for (const [lower, [name, value]] of this[kHeaders]) {
      if (skipped.has(lower)) continue;
      for (const v of Array.isArray(value) ? value : [value]) list.push([name, `${v}`]);
    }
    return list;
  }
}

// https://nodejs.org/api/http.html#class-httpincomingmessage: a response, its body read from
// the fetch() Response's stream as the reader asks for it.
class IncomingMessage extends Readable {
  constructor(socket = null, response = undefined) {
    super();
    this.socket = socket;
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.headers = {};
    this.headersDistinct = {};
    this.rawHeaders = [];
    this.trailers = {};
    this.trailersDistinct = {};
    this.rawTrailers = [];
    this.complete = false;
    this.aborted = false;
    this.url = "";
    this.method = null;
    this.statusCode = null;
    this.statusMessage = null;
    this.reader = null;
    this.onChunk = null;  // a ClientRequest's: each chunk restarts its timeout
    if (response !== undefined) this.fromResponse(response);
  }
  fromResponse(response) {
    this.statusCode = response.status;
    this.statusMessage = response.statusText || STATUS_CODES[response.status] || "";
    this.readFrom(response);
  }
  // The headers and body of `message`, a fetch Response (a client's) or Request (a server's).
  readFrom(message) {
    for (const [name, value] of message.headers) {
      const values = name === "set-cookie" ? message.headers.getSetCookie() : [value];
      for (const v of values) this.rawHeaders.push(name, v);
      this.headersDistinct[name] = values;
      this.headers[name] = name === "set-cookie" ? values : value;
    }
    this.reader = message.body === null ? null : message.body.getReader();
  }
  _read() {
    if (this.reader === null) {
      this.complete = true;
      this.push(null);
      return;
    }
    this.reader.read().then(({ done, value }) => {
      if (done) {
        this.complete = true;
        this.push(null);
      } else {
        if (this.onChunk !== null) this.onChunk();
        this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    }, (error) => this.destroy(nodeError(error)));
  }
  _destroy(error, callback) {
    if (!this.complete) this.aborted = true;
    if (this.reader !== null && !this.complete) this.reader.cancel(error ?? undefined).catch(() => {});
    callback(error);
  }
  setTimeout(ms, callback) {
    if (this.req !== undefined) this.req.setTimeout(ms, callback);
    return this;
  }
}

// request(url[, options][, callback]) | request(options[, callback]), as Node reads them.
function requestOptions(args, defaultProtocol) {
  let options = {};
  let callback;
  // A URL: a string, or an object that looks like one as Node judges (href and protocol, and no
  // auth or path, which request options have).
  const input = args[0];
  const isUrl = input !== null && typeof input === "object" && input.href !== undefined && input.protocol !== undefined &&
    input.auth === undefined && input.path === undefined;
  if (typeof input === "string" || isUrl) {
    const url = new URL(`${args[0]}`);
    options = {
      protocol: url.protocol, hostname: url.hostname, port: url.port,
      path: `${url.pathname}${url.search}`,
      auth: url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
    };
    args = args.slice(1);
  }
  if (args[0] !== null && typeof args[0] === "object") options = { ...options, ...args[0] };
  if (typeof args[args.length - 1] === "function") callback = args[args.length - 1];
  const agent = options.agent !== undefined && options.agent !== null && options.agent !== false ? options.agent : undefined;
  const protocol = options.protocol ?? agent?.protocol ?? defaultProtocol;
  if (protocol !== defaultProtocol) {
    throw codedError(TypeError, "ERR_INVALID_PROTOCOL", `Protocol "${protocol}" not supported. Expected "${defaultProtocol}"`);
  }
  if (options.socketPath !== undefined) throw codedError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The http.request socketPath option is not implemented");
  return { options, callback, protocol };
}

// Headers a ClientRequest's caller may set that fetch() sets itself.
const SET_BY_FETCH = new Set(["transfer-encoding", "connection", "host"]);

// https://nodejs.org/api/http.html#class-httpclientrequest
class ClientRequest extends OutgoingMessage {
  constructor(options, callback, protocol, defaultPort) {
    super();
    const host = options.hostname ?? (options.host !== undefined ? `${options.host}`.replace(/:\d+$/, "") : "localhost");
    this.method = `${options.method ?? "GET"}`.toUpperCase();
    if (!TOKEN.test(this.method)) throw codedError(TypeError, "ERR_INVALID_HTTP_TOKEN", `Method must be a valid HTTP token ["${options.method}"]`);
    this.protocol = protocol;
    this.host = host;
    this.path = options.path ?? "/";
    if (/[\u0000-\u0020]/.test(this.path)) throw codedError(TypeError, "ERR_UNESCAPED_CHARACTERS", "Request path contains unescaped characters");
    const port = options.port !== undefined && options.port !== null && options.port !== "" ? options.port : options.defaultPort ?? defaultPort;
    this.port = +port;
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.res = null;
    this.chunks = [];
    this.controller = new AbortController();
    this.timer = null;
    this.timeoutMs = 0;
    this.socket = new FakeSocket(this, protocol === "https:");
    this.connection = this.socket;
    const headers = options.headers;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
    } else if (headers !== undefined && headers !== null) {
      for (const name of Object.keys(headers)) if (headers[name] !== undefined) this.setHeader(name, headers[name]);
    }
    if (options.auth && !this.hasHeader("authorization")) {
      this.setHeader("Authorization", `Basic ${Buffer.from(`${options.auth}`).toString("base64")}`);
    }
    if (options.signal !== undefined) {
      const signal = options.signal;
      if (signal.aborted) queueMicrotask(() => this.destroy(abortError(signal.reason)));
      else signal.addEventListener("abort", () => this.destroy(abortError(signal.reason)), { once: true });
    }
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    if (callback !== undefined) this.once("response", callback);
    queueMicrotask(() => this.emit("socket", this.socket));
  }
  url() {
    const defaultPort = this.protocol === "https:" ? 443 : 80;
    const host = this.host.includes(":") && !this.host.startsWith("[") ? `[${this.host}]` : this.host;
    return `${this.protocol}//${host}${this.port === defaultPort ? "" : `:${this.port}`}${this.path}`;
  }
  _write(chunk, encoding, callback) {
    this.chunks.push(typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk);
    callback();
  }
  _final(callback) {
    this.headersSent = true;
    this.finished = true;
    const headers = this.headerList(SET_BY_FETCH);
    const body = this.method === "GET" || this.method === "HEAD" || this.chunks.length === 0 ? undefined : Buffer.concat(this.chunks);
    this.chunks = [];
    this.armTimer();
    fetch(this.url(), { method: this.method, headers, body, redirect: "manual", signal: this.controller.signal }).then((response) => {
      if (this.destroyed) {
        response.body?.cancel().catch(() => {});
        return;
      }
      const res = new IncomingMessage(this.socket, response);
      res.req = this;
      this.res = res;
      res.onChunk = () => this.armTimer();
      res.on("end", () => this.clearTimer());
      res.on("close", () => {
        this.clearTimer();
        if (!this.destroyed) this.destroy();
      });
      this.armTimer();
      if (!this.emit("response", res)) res.resume();
    }, (error) => {
      if (!this.destroyed) this.destroy(nodeError(error));
    });
    callback();
  }
  _destroy(error, callback) {
    this.clearTimer();
    // Before the response: the fetch is aborted. After it, its body is cancelled if unread (an
    // abort then would only make an AbortError nobody sees, with its stack: 6% of a request).
    if (this.res === null) this.controller.abort();
    else if (!this.res.complete) this.res.destroy(error ?? undefined);
    callback(error);
  }
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    queueMicrotask(() => this.emit("abort"));
    this.destroy();
  }
  setTimeout(ms, callback = undefined) {
    this.timeoutMs = +ms;
    if (callback !== undefined) this.once("timeout", callback);
    this.armTimer();
    return this;
  }
  armTimer() {
    this.clearTimer();
    if (this.timeoutMs > 0 && !this.destroyed) this.timer = setTimeout(() => this.emit("timeout"), this.timeoutMs);
  }
  clearTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
  setNoDelay() {}
  setSocketKeepAlive() {}
}

function abortError(reason) {
  const error = codedError(Error, "ABORT_ERR", "The operation was aborted");
  error.name = "AbortError";
  error.cause = reason;
  return error;
}

function client(defaultProtocol, defaultPort, globalAgent) {
  function request(...args) {
    const { options, callback, protocol } = requestOptions(args, defaultProtocol);
    return new ClientRequest(options, callback, protocol, defaultPort);
  }
  function get(...args) {
    const req = request(...args);
    req.end();
    return req;
  }
  return { request, get, globalAgent };
}

const globalAgent = new Agent();
const httpsGlobalAgent = new HttpsAgent();

// node_http_server.js adds the server side and makes node:http and node:https of these.
module.exports = {
  Agent, HttpsAgent, globalAgent, httpsGlobalAgent, ClientRequest, IncomingMessage, OutgoingMessage, FakeSocket,
  METHODS, STATUS_CODES, validateHeaderName, validateHeaderValue, codedError,
  httpClient: client("http:", 80, globalAgent),
  httpsClient: client("https:", 443, httpsGlobalAgent),
  common: { methods: METHODS, CRLF: "\r\n", _checkIsHttpToken: (v) => TOKEN.test(v), _checkInvalidHeaderChar: (v) => INVALID_VALUE.test(v) },
};
