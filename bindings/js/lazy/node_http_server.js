// node:http's server side (nodejs_compat; https://nodejs.org/api/http.html#class-httpserver), as
// Workers has it (https://developers.cloudflare.com/workers/runtime-apis/nodejs/http/): a Server
// whose listen() takes a port of the context's own table (nothing is bound, no socket opens),
// and cloudflare:node's httpServerHandler({ port }) / handleAsNodeRequest(port, request), which
// hand a fetch handler's Request to the server listening on that port as an IncomingMessage and
// a ServerResponse, and answer with the Response the ServerResponse writes: one body when it ends
// in the tick it starts writing, else streamed from the head on. What Express and the like need.
// Also makes node:http and node:https of the client side (node_http_internals.js).
const EventEmitter = internal.require("node_events");
const { Buffer } = internal.require("node_buffer");
const { URL } = internal.require("url");
const base = internal.require("node_http_internals");

const { IncomingMessage, OutgoingMessage, FakeSocket, STATUS_CODES, codedError } = base;

const ports = new Map();  // port -> the Server listening on it, in this context
const EPHEMERAL_FIRST = 49152;
let nextEphemeral = EPHEMERAL_FIRST;

function ephemeralPort() {
  for (let i = EPHEMERAL_FIRST; i <= 65535; i++) {
    const port = nextEphemeral;
    nextEphemeral = port === 65535 ? EPHEMERAL_FIRST : port + 1;
    if (!ports.has(port)) return port;
  }
  throw codedError(Error, "EADDRINUSE", "listen EADDRINUSE: no free port");
}

// https://nodejs.org/api/http.html#class-httpserver
class Server extends EventEmitter {
  constructor(options = undefined, listener = undefined) {
    super();
    if (typeof options === "function") {
      listener = options;
      options = undefined;
    }
    this.options = options ?? {};
    this.listening = false;
    this.port = null;
    this.timeout = 0;
    this.keepAliveTimeout = 5000;
    this.headersTimeout = 60000;
    this.requestTimeout = 300000;
    this.maxHeadersCount = null;
    this.maxRequestsPerSocket = 0;
    if (typeof listener === "function") this.on("request", listener);
  }
  // listen([port][, host][, backlog][, callback]) | listen(options[, callback])
  listen(...args) {
    const callback = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
    const given = args[0] !== null && typeof args[0] === "object" ? args[0].port : args[0];
    let port = given === undefined || given === null || given === "" ? 0 : Number(given);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw codedError(RangeError, "ERR_SOCKET_BAD_PORT", `options.port should be >= 0 and < 65536. Received ${given}.`);
    }
    if (this.listening) {
      throw codedError(Error, "ERR_SERVER_ALREADY_LISTEN", "Listen method has been called more than once without closing.");
    }
    if (callback !== undefined) this.once("listening", callback);
    if (port === 0) port = ephemeralPort();
    if (ports.has(port)) {
      const error = codedError(Error, "EADDRINUSE", `listen EADDRINUSE: address already in use :::${port}`);
      error.errno = -98;
      error.syscall = "listen";
      error.port = port;
      queueMicrotask(() => this.emit("error", error));
      return this;
    }
    ports.set(port, this);
    this.port = port;
    this.listening = true;
    queueMicrotask(() => this.emit("listening"));
    return this;
  }
  address() {
    return this.listening ? { address: "::", family: "IPv6", port: this.port } : null;
  }
  close(callback = undefined) {
    if (typeof callback === "function") this.once("close", callback);
    if (this.listening && ports.get(this.port) === this) ports.delete(this.port);
    this.listening = false;
    queueMicrotask(() => this.emit("close"));
    return this;
  }
  closeAllConnections() {}
  closeIdleConnections() {}
  setTimeout(ms, callback = undefined) {
    this.timeout = +ms;
    if (typeof callback === "function") this.on("timeout", callback);
    return this;
  }
  ref() { return this; }
  unref() { return this; }
}

function createServer(options = undefined, listener = undefined) {
  return new Server(options, listener);
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

// https://nodejs.org/api/http.html#class-httpserverresponse
class ServerResponse extends OutgoingMessage {
  constructor(req, respond = undefined) {
    super();
    this.req = req;
    this.socket = req?.socket ?? null;
    this.connection = this.socket;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this.chunkedEncoding = false;
    this.useChunkedEncodingByDefault = true;
    this.respond = respond ?? null;  // (Response) => void: called once, with the head
    this.chunks = [];                // written before the head was sent
    this.controller = null;          // the streamed body's, once the head is sent
    this.headScheduled = false;
  }
  writeHead(statusCode, statusMessage = undefined, headers = undefined) {
    if (this.headersSent) throw codedError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot write headers after they are sent to the client");
    if (typeof statusMessage !== "string") {
      headers = statusMessage;
      statusMessage = undefined;
    }
    const status = Number(statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw codedError(RangeError, "ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: ${statusCode}`);
    }
    this.statusCode = status;
    if (statusMessage !== undefined) this.statusMessage = statusMessage;
    if (Array.isArray(headers)) {
      if (headers.length > 0 && Array.isArray(headers[0])) for (const [name, value] of headers) this.appendHeader(name, value);
      else for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
    } else if (headers !== undefined && headers !== null) {
      for (const name of Object.keys(headers)) if (headers[name] !== undefined) this.setHeader(name, headers[name]);
    }
    return this;
  }
  writeContinue() {}
  writeProcessing() {}
  writeEarlyHints() {}
  assignSocket() {}
  detachSocket() {}
  flushHeaders() {
    if (!this.headersSent) this.sendHead(false);
  }
  // The Response: the whole body when the response ended (`final`), else a stream fed by later writes.
  sendHead(final) {
    this.headersSent = true;
    const headers = this.headerList(HOP_BY_HOP);
    const status = this.statusCode;
    const noBody = this.req?.method === "HEAD" || status === 204 || status === 304 || status < 200;
    let body = null;
    if (!noBody && final) {
      body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    } else if (!noBody) {
      const pending = this.chunks;
      body = new ReadableStream({
        start: (controller) => {
          for (const chunk of pending) controller.enqueue(chunk);
          this.controller = controller;
        },
      });
    }
    this.chunks = [];
    const statusText = this.statusMessage ?? STATUS_CODES[status] ?? "";
    const respond = this.respond;
    this.respond = null;
    if (respond !== null) respond(new Response(body, { status: status < 200 ? 200 : status, statusText, headers }));
  }
  _write(chunk, encoding, callback) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
    if (this.controller !== null) {
      this.controller.enqueue(bytes);
    } else if (!this.headersSent) {
      this.chunks.push(bytes);
      // Not ended in this tick: the head goes now and the body streams.
      if (!this.headScheduled) {
        this.headScheduled = true;
        queueMicrotask(() => {
          if (!this.headersSent && !this.writableEnded) this.sendHead(false);
        });
      }
    }
    callback();
  }
  _final(callback) {
    this.finished = true;
    if (!this.headersSent) this.sendHead(true);
    else if (this.controller !== null) this.controller.close();
    callback();
  }
  _destroy(error, callback) {
    if (!this.headersSent && error) {
      this.statusCode = 500;
      this.chunks = [];
      this.sendHead(true);
    } else if (this.controller !== null && !this.writableFinished) {
      this.controller.error(error ?? codedError(Error, "ERR_STREAM_DESTROYED", "the response was destroyed"));
    }
    callback(error);
  }
}

// The server's IncomingMessage for `request`, its body read from the Request's stream.
function incomingFrom(request) {
  const url = new URL(request.url);
  const socket = new FakeSocket({ setTimeout() {} }, url.protocol === "https:");
  socket.remoteAddress = request.headers.get("cf-connecting-ip") ?? "127.0.0.1";
  socket.remotePort = 0;
  const req = new IncomingMessage(socket);
  req.method = request.method;
  req.url = `${url.pathname}${url.search}`;
  req.readFrom(request);
  if (req.headers.host === undefined) {
    req.headers.host = url.host;
    req.rawHeaders.push("host", url.host);
  }
  return req;
}

function serve(server, request) {
  return new Promise((resolve) => {
    const req = incomingFrom(request);
    const res = new ServerResponse(req, resolve);
    server.emit("request", req, res);
  });
}

// cloudflare:node (https://developers.cloudflare.com/workers/runtime-apis/nodejs/http/#handleasnoderequest)
function handleAsNodeRequest(port, request) {
  const server = ports.get(Number(port));
  if (server === undefined) {
    throw new Error(`handleAsNodeRequest: no http.Server is listening on port ${port} (call server.listen(${port}) first)`);
  }
  return serve(server, request);
}

// httpServerHandler({ port }) | httpServerHandler(port) | httpServerHandler(server): a module
// Worker's default export whose fetch() is that server's.
function httpServerHandler(target) {
  if (target instanceof Server) return { fetch: (request) => serve(target, request) };
  const port = typeof target === "object" && target !== null ? target.port : target;
  if (!Number.isInteger(Number(port))) throw new TypeError("httpServerHandler: give it { port } or an http.Server");
  return { fetch: (request) => handleAsNodeRequest(port, request) };
}

const { Agent, HttpsAgent, globalAgent, ClientRequest, METHODS, validateHeaderName, validateHeaderValue } = base;
const http = {
  ...base.httpClient, Agent, ClientRequest, IncomingMessage, OutgoingMessage, ServerResponse, Server, createServer,
  METHODS, STATUS_CODES, maxHeaderSize: 16384, validateHeaderName, validateHeaderValue, setMaxIdleHTTPParsers() {},
};
const https = { ...base.httpsClient, Agent: HttpsAgent, Server, createServer };

module.exports = {
  http,
  https,
  agent: { Agent, globalAgent },
  client: { ClientRequest },
  incoming: { IncomingMessage, readStart() {}, readStop() {} },
  outgoing: { OutgoingMessage, validateHeaderName, validateHeaderValue },
  server: { STATUS_CODES, Server, ServerResponse, createServer },
  cloudflareNode: { httpServerHandler, handleAsNodeRequest },
};
