// cloudflare:sockets (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/):
// `connect(address, options)` opens a TCP connection from the tenant and gives a Socket: its
// `readable` (a byte stream of what the peer sends), `writable` (bytes to send; closing it sends
// a FIN), `opened` (resolves with {remoteAddress} once connected), `closed` (resolves once both
// sides ended or close() was called; rejects on a failure), `close()`, and `startTls()` for a
// socket made with secureTransport "starttls" (the new Socket carries the same connection).
// The connection is the host's (server/socket_client.h): the same SSRF guard as fetch() (a
// loopback or private address only for a host the tenant's `outbound` lists), TLS checked against
// the system CA store, reads no faster than the readable stream is read. Each connect() is a
// subrequest of the request that made it, and the socket is closed when that request ends (as any
// of its I/O). A lazy module: `import { connect } from "cloudflare:sockets"` loads it.
const { fetchSinks, uncurryThis } = internal;
const { ReadableStream, WritableStream } = internal.require("streams");
const {
  MapSet, MapDelete, PromisePrototypeThen: PromiseThen, StringPrototypeToLowerCase, StringPrototypeSlice,
} = internal.primordials;
const StringPrototypeLastIndexOf = uncurryThis(String.prototype.lastIndexOf);
const nativeSocketStart = native.socketStart;
const nativeSocketStartTls = native.socketStartTls;
const nativeFetchWrite = native.fetchWrite;
const nativeFetchControl = native.fetchControl;
const $Promise = Promise;
const $TypeError = TypeError;
const $Error = Error;
const $Uint8Array = Uint8Array;
const ArrayBufferIsView = ArrayBuffer.isView;
const ObjectFreeze = Object.freeze;
const NumberIsInteger = Number.isInteger;
const isArrayBuffer = internal.isArrayBuffer;

// Kinds of internal.onFetchEvent (worker_host.h FetchEventKind).
const HEAD = 0;
const CHUNK = 1;
const END = 2;
const ERROR = 3;
const DRAIN = 4;
const PEER_END = 5;

const READ_HIGH_WATER_MARK = 64 * 1024;
const kCreate = Symbol("create");
const noop = () => {};

// "host:port", "[v6]:port", or {hostname, port}: the host (lower-case, IPv6 in brackets) and port.
function parseAddress(address) {
  let hostname;
  let port;
  if (typeof address === "string") {
    const colon = StringPrototypeLastIndexOf(address, ":");
    if (colon <= 0) throw new $TypeError(`connect(): the address "${address}" has no port ("host:port")`);
    hostname = StringPrototypeSlice(address, 0, colon);
    port = +StringPrototypeSlice(address, colon + 1);
  } else if (address !== null && typeof address === "object") {
    hostname = `${address.hostname}`;
    port = +address.port;
  } else {
    throw new $TypeError("connect(): the address must be a string (\"host:port\") or {hostname, port}");
  }
  if (!NumberIsInteger(port) || port < 1 || port > 65535) {
    throw new $TypeError(`connect(): the port of "${hostname}" is not a port number (1-65535)`);
  }
  if (hostname === "" || hostname === "undefined") throw new $TypeError("connect(): the address has no hostname");
  hostname = StringPrototypeToLowerCase(hostname);
  // A bare IPv6 literal ("::1" from {hostname: "::1"}) gets its brackets, as URL hosts have them.
  let hasColon = false;
  for (let i = 0; i < hostname.length; i++) if (hostname[i] === ":") hasColon = true;
  if (hasColon && hostname[0] !== "[") hostname = `[${hostname}]`;
  return { hostname, port };
}

function toBytes(chunk) {
  if (ArrayBufferIsView(chunk)) return chunk;
  if (isArrayBuffer(chunk)) return new $Uint8Array(chunk);
  throw new $TypeError("This WritableStream only supports writing byte types (ArrayBuffer or ArrayBufferView).");
}

// What a write after close() rejects with. Made without a stack trace: a socket is closed once
// per use, and capturing the stack of an error nobody may see was 6% of a request's CPU.
function closedError() {
  const limit = $Error.stackTraceLimit;
  $Error.stackTraceLimit = 0;
  try {
    return new $TypeError("The socket is closed.");
  } finally {
    $Error.stackTraceLimit = limit;
  }
}

// A promise whose rejection is handled (nobody has to look at `opened` or `closed`).
function handledPromise() {
  let resolve;
  let reject;
  const promise = new $Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  PromiseThen(promise, undefined, noop);
  return { promise, resolve, reject };
}

// https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#socket
class Socket {
  #id;
  #hostname;
  #secureTransport;
  #allowHalfOpen;
  #readable;
  #writable;
  #readController = null;
  #writeController = null;
  #opened = handledPromise();
  #closed = handledPromise();
  #isOpen = false;
  #done = false;          // no more events: closed, failed, or handed to the upgraded socket
  #readDone = false;      // the readable stream closed or errored
  #readCancelled = false; // ... by its reader: what comes is dropped
  #writesEnded = false;   // a FIN was asked for
  #waitDrain = null;      // a write's resolve, waiting for the host's drain event
  #upgraded = false;
  #previous = null;       // the socket startTls() upgraded: its `closed` resolves once this one opened

  constructor(key, id, hostname, secureTransport, allowHalfOpen, previous) {
    if (key !== kCreate) throw new $TypeError("Illegal constructor");
    this.#id = id;
    this.#hostname = hostname;
    this.#secureTransport = secureTransport;
    this.#allowHalfOpen = allowHalfOpen;
    this.#previous = previous;
    this.#readable = new ReadableStream({
      type: "bytes",
      start: (c) => {
        this.#readController = c;
      },
      pull: () => {
        if (!this.#done) nativeFetchControl(this.#id, false);
      },
      cancel: () => {
        this.#readDone = true;
        this.#readCancelled = true;
        if (!this.#done) nativeFetchControl(this.#id, false);
      },
    }, { highWaterMark: READ_HIGH_WATER_MARK });
    this.#writable = new WritableStream({
      start: (c) => {
        this.#writeController = c;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.#endWrites(),
      abort: () => {
        this.close();
      },
    });
    MapSet(fetchSinks, id, (kind, a, b) => this.#onEvent(kind, a, b));
  }

  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
  get opened() { return this.#opened.promise; }
  get closed() { return this.#closed.promise; }
  get upgraded() { return this.#upgraded; }
  get secureTransport() { return this.#secureTransport; }

  close() {
    if (!this.#done) {
      this.#finish();
      nativeFetchControl(this.#id, true);
      if (!this.#isOpen) this.#opened.reject(new $Error("The socket was closed before it opened."));
      this.#closeStreams(null);
      this.#closed.resolve();
    }
    return this.#closed.promise;
  }

  startTls(options = undefined) {
    if (this.#secureTransport !== "starttls") {
      throw new $TypeError('startTls() needs a socket made with secureTransport: "starttls"');
    }
    if (this.#upgraded) throw new $TypeError("startTls() was already called on this socket");
    if (this.#done || this.#writesEnded) throw new $TypeError("startTls() on a closed socket");
    let name = this.#hostname;
    if (options !== undefined && options !== null && options.expectedServerHostname !== undefined) {
      name = StringPrototypeToLowerCase(`${options.expectedServerHostname}`);
    }
    if (name[0] === "[") name = StringPrototypeSlice(name, 1, -1);
    nativeSocketStartTls(this.#id, name);
    this.#upgraded = true;
    this.#done = true;  // the new socket takes the connection's events from here on
    this.#closeStreams(null);
    return new Socket(kCreate, this.#id, this.#hostname, "on", this.#allowHalfOpen, this);
  }

  #write(chunk) {
    const bytes = toBytes(chunk);
    if (this.#done || this.#writesEnded) {
      return $Promise.reject(new $TypeError("The socket is closed: nothing more can be written."));
    }
    if (nativeFetchWrite(this.#id, bytes)) return undefined;
    return new $Promise((resolve) => {
      this.#waitDrain = resolve;
    });
  }

  #endWrites() {
    if (this.#done || this.#writesEnded) return;
    this.#writesEnded = true;
    nativeFetchWrite(this.#id, null);
  }

  #onEvent(kind, a, b) {
    if (kind === CHUNK) {
      if (this.#readCancelled || this.#readDone) return true;
      this.#readController.enqueue(new $Uint8Array(a));
      return this.#readController.desiredSize > 0;
    }
    if (kind === HEAD) {
      this.#isOpen = true;
      this.#opened.resolve(ObjectFreeze({ remoteAddress: b === undefined || b === "" ? null : `${b}`, localAddress: null }));
      if (this.#previous !== null) {
        this.#previous.#closed.resolve();  // the plaintext socket's end: its connection is this one's now
        this.#previous = null;
      }
    } else if (kind === PEER_END) {
      this.#closeRead();
      if (!this.#allowHalfOpen) this.#endWrites();
    } else if (kind === DRAIN) {
      const resolve = this.#waitDrain;
      this.#waitDrain = null;
      if (resolve !== null) resolve();
    } else if (kind === END) {
      this.#finish();
      this.#closeStreams(null);
      this.#closed.resolve();
    } else if (kind === ERROR) {
      this.#finish();
      const error = new $Error(`${a}`);
      this.#failOpen(error);
      this.#closeStreams(error);
      this.#closed.reject(error);
    }
    return false;
  }

  #finish() {
    this.#done = true;
    MapDelete(fetchSinks, this.#id);
    if (this.#previous !== null) {
      this.#previous.#closed.resolve();
      this.#previous = null;
    }
  }

  #failOpen(error) {
    if (!this.#isOpen) this.#opened.reject(error);
  }

  #closeRead() {
    if (this.#readDone) return;
    this.#readDone = true;
    try {
      this.#readController.close();
    } catch {}
  }

  // Both streams end: closed (error null), or errored with `error`.
  #closeStreams(error) {
    if (!this.#readDone) {
      this.#readDone = true;
      try {
        if (error === null) this.#readController.close();
        else this.#readController.error(error);
      } catch {}
    }
    const resolve = this.#waitDrain;
    this.#waitDrain = null;
    if (resolve !== null) resolve();
    if (!this.#writesEnded || error !== null) {
      try {
        this.#writeController.error(error === null ? closedError() : error);
      } catch {}
    }
  }
}
Object.defineProperty(Socket.prototype, Symbol.toStringTag, { value: "Socket", configurable: true });

// https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#connect
export function connect(address, options = undefined) {
  const { hostname, port } = parseAddress(address);
  let secureTransport = "off";
  let allowHalfOpen = false;
  if (options !== undefined && options !== null) {
    if (options.secureTransport !== undefined) secureTransport = `${options.secureTransport}`;
    if (secureTransport !== "off" && secureTransport !== "on" && secureTransport !== "starttls") {
      throw new $TypeError(`connect(): secureTransport must be "off", "on" or "starttls", not "${secureTransport}"`);
    }
    allowHalfOpen = !!options.allowHalfOpen;
  }
  const tlsName = hostname[0] === "[" ? StringPrototypeSlice(hostname, 1, -1) : hostname;
  const id = nativeSocketStart(hostname, port, secureTransport === "on", tlsName);
  return new Socket(kCreate, id, hostname, secureTransport, allowHalfOpen, null);
}
