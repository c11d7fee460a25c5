// node:net and node:tls clients (nodejs_compat; https://nodejs.org/api/net.html,
// https://nodejs.org/api/tls.html) as Workers has them: net.Socket is a Duplex stream over a
// cloudflare:sockets socket (js/lazy/cloudflare_sockets.js: the same SSRF guard and `outbound`
// list, a subrequest of its request, closed when that request ends); tls.connect() is TLS from
// the start, or over a connected net.Socket ({socket}: startTls, as a client that negotiates TLS
// in its protocol does). No servers: createServer throws, as in Workers. The two modules are
// node_net.js and node_tls.js, each one line over this one.
const { Duplex } = require("stream");
const { Buffer } = require("buffer");
const { connect: socketsConnect } = internal.require("cloudflare_sockets");

const setTimer = internal.setTimeout;
const clearTimer = internal.clearTimeout;
const $Error = Error;
const $TypeError = TypeError;
const $RangeError = RangeError;
const NumberIsInteger = Number.isInteger;
const { PromisePrototypeThen: PromiseThen } = internal.primordials;

const kRaw = Symbol("raw");
const kReader = Symbol("reader");
const kWriter = Symbol("writer");
const kReading = Symbol("reading");
const kWantRead = Symbol("wantRead");
const kSecure = Symbol("secure");
const kServername = Symbol("servername");
const kHost = Symbol("host");
const kTimer = Symbol("timer");
const kAttach = Symbol("attach");
const kPull = Symbol("pull");
const kTouch = Symbol("touch");

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const { URL: $URL } = internal.require("url");

function isIPv4(input) {
  return IPV4.test(`${input}`);
}
// An IPv6 address is what the URL standard's host parser takes between brackets (a zone id,
// "%eth0", is dropped first, as Node accepts one).
function isIPv6(input) {
  const text = `${input}`;
  const zone = text.indexOf("%");
  const address = zone < 0 ? text : text.slice(0, zone);
  if (!address.includes(":") || address.includes("[") || address.includes("]") || address.includes("/")) return false;
  try {
    new $URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}
function isIP(input) {
  return isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0;
}

// A cloudflare:sockets error as Node's: `code` as Node names the cause.
function nodeError(error) {
  if (error === null || typeof error !== "object") return new $Error(`${error}`);
  if (error.code === undefined) {
    const message = `${error.message}`;
    error.code = /connection refused/i.test(message) ? "ECONNREFUSED"
      : /timed out/i.test(message) ? "ETIMEDOUT"
        : /DNS/.test(message) ? "ENOTFOUND"
          : / refused: /.test(message) ? "ERR_ATOLL_OUTBOUND_REFUSED"
            : /certificate/i.test(message) ? "ERR_TLS_CERT_ALTNAME_INVALID"
              : "ECONNRESET";
  }
  return error;
}

// connect(options[, listener]) | connect(port[, host][, listener]) | connect(path) (refused).
function normalizeArgs(args) {
  let options = {};
  let listener = null;
  if (args.length > 0 && args[0] !== null && typeof args[0] === "object") {
    options = { ...args[0] };
  } else if (args.length > 0) {
    options.port = args[0];
    if (args.length > 1 && typeof args[1] === "string") options.host = args[1];
  }
  const last = args[args.length - 1];
  if (typeof last === "function") listener = last;
  return [options, listener];
}

function checkPort(port) {
  const number = typeof port === "string" && port.trim() !== "" ? +port : port;
  if (typeof number !== "number" || !NumberIsInteger(number) || number < 1 || number > 65535) {
    const error = new $RangeError(`Port should be > 0 and < 65536. Received ${port}.`);
    error.code = "ERR_SOCKET_BAD_PORT";
    throw error;
  }
  return number;
}

// https://nodejs.org/api/net.html#class-netsocket
class Socket extends Duplex {
  constructor(options = undefined) {
    const opts = options === undefined || options === null ? {} : options;
    super({
      allowHalfOpen: opts.allowHalfOpen === true,
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
      emitClose: true,
      autoDestroy: true,
      decodeStrings: true,
    });
    this[kRaw] = null;
    this[kReader] = null;
    this[kWriter] = null;
    this[kReading] = false;
    this[kWantRead] = false;
    this[kSecure] = false;
    this[kServername] = undefined;
    this[kHost] = undefined;
    this[kTimer] = null;
    this.connecting = false;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.timeout = undefined;
  }

  get pending() {
    return this[kRaw] === null || this.connecting;
  }

  get readyState() {
    if (this.connecting) return "opening";
    if (this.readable && this.writable) return "open";
    if (this.readable) return "readOnly";
    if (this.writable) return "writeOnly";
    return "closed";
  }

  connect(...args) {
    const [options, listener] = normalizeArgs(args);
    if (options.path !== undefined) throw new $Error("net: connecting to a Unix domain socket (path) is not supported");
    if (this[kRaw] !== null || this.connecting) throw new $Error("Socket is already connected (or connecting)");
    const port = checkPort(options.port);
    const host = options.host === undefined || options.host === null || options.host === "" ? "localhost" : `${options.host}`;
    if (listener !== null) this.once(this[kSecure] ? "secureConnect" : "connect", listener);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    this.connecting = true;
    this[kHost] = host;
    let raw;
    try {
      // "starttls" for a plain socket: tls.connect({socket}) may upgrade it later.
      raw = socketsConnect({ hostname: host, port }, { secureTransport: "starttls", allowHalfOpen: true });
    } catch (error) {
      queueMicrotask(() => this.destroy(nodeError(error)));
      return this;
    }
    if (this[kSecure]) {
      // TLS from the start, checked for servername: the handshake starts once the connection opened.
      const plain = raw;
      try {
        raw = plain.startTls({ expectedServerHostname: this[kServername] ?? host });
      } catch {
        // Refused or failed at once: the error is the plain socket's.
        PromiseThen(plain.opened, undefined, (error) => this.destroy(nodeError(error)));
        return this;
      }
    }
    this[kAttach](raw);
    return this;
  }

  [kAttach](raw) {
    this[kRaw] = raw;
    this[kWriter] = raw.writable.getWriter();
    this[kReader] = raw.readable.getReader();
    this.connecting = true;
    PromiseThen(raw.opened, (info) => {
      if (this.destroyed || this[kRaw] !== raw) return;
      this.connecting = false;
      const remote = info.remoteAddress === null ? "" : info.remoteAddress;
      const colon = remote.lastIndexOf(":");
      const address = remote.slice(0, colon);
      this.remoteAddress = address.startsWith("[") ? address.slice(1, -1) : address;
      this.remotePort = +remote.slice(colon + 1);
      this.remoteFamily = address.startsWith("[") ? "IPv6" : "IPv4";
      this[kTouch]();
      if (this[kSecure]) {
        this.authorized = true;
        this.emit("secureConnect");
      }
      this.emit("connect");
      this.emit("ready");
    }, (error) => {
      if (this[kRaw] === raw) this.destroy(nodeError(error));
    });
    if (this[kWantRead]) this[kPull]();
  }

  _read() {
    this[kWantRead] = true;
    this[kPull]();
  }

  [kPull]() {
    const reader = this[kReader];
    if (this[kReading] || reader === null) return;
    this[kReading] = true;
    PromiseThen(reader.read(), ({ value, done }) => {
      this[kReading] = false;
      if (reader !== this[kReader] || this.destroyed) return;  // upgraded to TLS, or gone
      if (done) {
        this.push(null);
        return;
      }
      this.bytesRead += value.byteLength;
      this[kTouch]();
      this[kWantRead] = this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      if (this[kWantRead]) this[kPull]();
    }, (error) => {
      this[kReading] = false;
      if (reader === this[kReader]) this.destroy(nodeError(error));
    });
  }

  _write(chunk, encoding, callback) {
    const writer = this[kWriter];
    if (writer === null) {
      callback(new $Error("This socket is not connected: call connect() first"));
      return;
    }
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
    PromiseThen(writer.write(bytes), () => {
      this.bytesWritten += bytes.byteLength;
      this[kTouch]();
      callback();
    }, (error) => callback(nodeError(error)));
  }

  _final(callback) {
    const writer = this[kWriter];
    if (writer === null) {
      callback();
      return;
    }
    PromiseThen(writer.close(), () => callback(), (error) => callback(nodeError(error)));
  }

  _destroy(error, callback) {
    if (this[kTimer] !== null) clearTimer(this[kTimer]);
    this[kTimer] = null;
    const raw = this[kRaw];
    this[kReader] = null;
    this[kWriter] = null;
    if (raw !== null) raw.close();
    this.connecting = false;
    callback(error);
  }

  // https://nodejs.org/api/net.html#socketsettimeouttimeout-callback: 'timeout' after `ms` idle.
  setTimeout(ms, callback = undefined) {
    const timeout = +ms;
    if (!(timeout >= 0)) throw new $TypeError(`The "timeout" argument must be a number >= 0. Received ${ms}`);
    this.timeout = timeout;
    if (callback !== undefined) {
      if (timeout === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    this[kTouch]();
    return this;
  }

  [kTouch]() {
    if (this[kTimer] !== null) clearTimer(this[kTimer]);
    this[kTimer] = null;
    if (!this.timeout || this.destroyed) return;
    this[kTimer] = setTimer(() => {
      this[kTimer] = null;
      this.emit("timeout");
    }, this.timeout);
  }

  setNoDelay() {
    return this;  // the connection is TCP_NODELAY already
  }
  setKeepAlive() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  address() {
    return {};
  }
}

function connect(...args) {
  const [options] = normalizeArgs(args);
  const socket = new Socket(options);
  return socket.connect(...args);
}

function createServer() {
  throw new $Error("net.createServer is not supported: a Worker serves HTTP through its fetch handler");
}

// https://nodejs.org/api/tls.html#class-tlstlssocket
class TLSSocket extends Socket {
  constructor(socket = undefined, options = undefined) {
    super(options);
    this[kSecure] = true;
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    if (socket !== undefined && socket !== null) upgrade(this, socket, options ?? {});
  }
  getPeerCertificate() {
    return {};
  }
  getProtocol() {
    return null;
  }
  getCipher() {
    return null;
  }
  setServername(name) {
    this[kServername] = `${name}`;
  }
}

// Starts TLS over connected net.Socket `plain` (its connection must have opened, or be opening),
// handing its connection to `secure`: `plain` reads and writes no more.
function upgrade(secure, plain, options) {
  const raw = plain[kRaw];
  if (raw === null || plain.destroyed) throw new $Error("tls.connect({socket}): the socket is not connected");
  const name = options.servername ?? plain[kHost];
  plain[kReader] = null;  // its pending read ends with the plaintext streams: ignored
  plain[kWriter] = null;
  plain[kRaw] = null;
  let upgraded;
  try {
    upgraded = raw.startTls({ expectedServerHostname: name });
  } catch (error) {
    queueMicrotask(() => secure.destroy(nodeError(error)));
    return;
  }
  secure[kHost] = plain[kHost];
  secure[kAttach](upgraded);
}

// tls.connect(options[, listener]) | tls.connect(port[, host][, options][, listener])
function tlsConnect(...args) {
  let options = {};
  let listener = null;
  if (typeof args[args.length - 1] === "function") listener = args.pop();
  if (args.length > 0 && args[0] !== null && typeof args[0] === "object") {
    options = { ...args[0] };
  } else {
    options.port = args[0];
    if (typeof args[1] === "string") options.host = args[1];
    const extra = args.find((a, i) => i > 0 && a !== null && typeof a === "object");
    if (extra !== undefined) options = { ...extra, ...options };
  }
  const secure = new TLSSocket(undefined, options);
  if (options.servername !== undefined) secure[kServername] = `${options.servername}`;
  if (listener !== null) secure.once("secureConnect", listener);
  if (options.socket !== undefined && options.socket !== null) {
    upgrade(secure, options.socket, options);
    return secure;
  }
  return secure.connect({ ...options });
}

// https://nodejs.org/api/tls.html#tlscreatesecurecontextoptions: kept for the libraries that
// make one; the connection trusts the system's CA store whatever it holds.
function createSecureContext(options = undefined) {
  return { context: {}, options: options ?? {} };
}

function tlsCreateServer() {
  throw new $Error("tls.createServer is not supported: a Worker serves HTTP through its fetch handler");
}

const net = {
  Socket, Stream: Socket, connect, createConnection: connect, createServer, isIP, isIPv4, isIPv6,
};
const tls = {
  TLSSocket, connect: tlsConnect, createSecureContext, createServer: tlsCreateServer,
  DEFAULT_MIN_VERSION: "TLSv1.2", DEFAULT_MAX_VERSION: "TLSv1.3", rootCertificates: [],
};
// Node's internal modules that npm code still imports by name (node:_tls_common, node:_tls_wrap).
const tlsCommon = { SecureContext: function SecureContext(options) { return createSecureContext(options); }, createSecureContext };
const tlsWrap = { TLSSocket, connect: tlsConnect, createServer: tlsCreateServer, Server: tlsCreateServer };
module.exports = { net, tls, tlsCommon, tlsWrap, nodeError };
