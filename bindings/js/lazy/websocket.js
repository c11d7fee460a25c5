// WebSockets as Workers has them (https://developers.cloudflare.com/workers/runtime-apis/websockets/):
// `new WebSocketPair()` gives two linked WebSocket ends; a handler keeps `server`, calls
// server.accept(), and returns `new Response(null, {status: 101, webSocket: client})`. The
// connection is then upgraded (server/websocket_hub.h): what `server` sends goes to the real
// client (native.wsSend), and the client's messages arrive as events on `server`
// (internal.onWebSocketEvent, each under a CPU budget of its own). Two ends kept in one isolate
// talk to each other directly.
// Outbound: fetch() with `Upgrade: websocket` answered 101 gives `response.webSocket` (accept() it
// to use it; server/client_websocket.h carries it), and `new WebSocket(url)` is that fetch made
// for you (https://websockets.spec.whatwg.org/#the-websocket-interface): the same SSRF guard and
// `outbound` list as any fetch. A fetched socket returned in a 101 is relayed to the client.
// A lazy module: the first read of `WebSocketPair`, `WebSocket` or `CloseEvent` loads it.
const { exposeInterface, isArrayBuffer } = internal;
const { Event, EventTarget, ErrorEvent } = internal.require("events");
const { MessageEvent } = internal.require("messaging");
const { DOMException } = internal.require("dom_exception");
const { fetch } = internal.require("fetch");
const { URL: $URL } = internal.require("url");
const { PromisePrototypeThen: PromiseThen } = internal.primordials;
const nativeSend = native.wsSend;
const nativeClose = native.wsClose;
const nativeRespond = native.respond;
const $TypeError = TypeError;
const ArrayBufferIsView = ArrayBuffer.isView;
const ReflectApply = Reflect.apply;
const kCreate = Symbol("create");

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const MAX_REASON_BYTES = 123;

// internal.onWebSocketEvent's kinds (worker_host.h WebSocketEventKind).
const EV_TEXT = 0;
const EV_BINARY = 1;
const EV_CLOSE = 2;
const EV_ERROR = 3;

// https://websockets.spec.whatwg.org/#the-closeevent-interface
class CloseEvent extends Event {
  #code;
  #reason;
  #wasClean;
  constructor(type, init = undefined) {
    super(type, init);
    this.#code = init?.code === undefined ? 0 : init.code & 0xffff;
    this.#reason = init?.reason === undefined ? "" : `${init.reason}`;
    this.#wasClean = !!init?.wasClean;
  }
  get code() { return this.#code; }
  get reason() { return this.#reason; }
  get wasClean() { return this.#wasClean; }
}

// Accepted `server` ends by socket id, for internal.onWebSocketEvent (js/20_body.js).
const sinks = new Map();
let access;

function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

class WebSocket extends EventTarget {
  #readyState = OPEN;
  #peer = null;         // the other end of the pair (while in this isolate)
  #socket = 0;          // the native socket once this end's peer went out in a 101
  #accepted = false;
  #queue = [];          // events before accept()
  #binaryType = "arraybuffer";
  #url = null;
  #protocol = "";
  #handlers = { __proto__: null };
  #sink = null;         // a Durable Object's ctx.acceptWebSocket (js/lazy/do_websocket.js)

  constructor(url, protocols = undefined) {
    if (url === kCreate) {
      super();
      return;
    }
    super();
    const target = parseSocketUrl(url);
    const offered = socketProtocols(protocols);
    this.#url = target.href;
    this.#readyState = CONNECTING;
    this.#accepted = true;  // a socket of its own: events fire without accept()
    const httpUrl = `${target.protocol === "wss:" ? "https:" : "http:"}${target.href.slice(target.protocol.length)}`;
    const headers = [["upgrade", "websocket"]];
    if (offered.length > 0) headers.push(["sec-websocket-protocol", offered.join(", ")]);
    const failed = (message) => {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      this.dispatchEvent(new ErrorEvent("error", { message }));
      this.dispatchEvent(new CloseEvent("close", { code: 1006, reason: "", wasClean: false }));
    };
    PromiseThen(fetch(httpUrl, { headers }), (response) => {
      const socket = response.webSocket;
      if (socket === null) {
        failed(`WebSocket connection to '${this.#url}' failed: the server answered ${response.status}`);
        return;
      }
      access.takeOver(this, socket, response.headers.get("sec-websocket-protocol") ?? "");
      this.dispatchEvent(new Event("open"));
    }, (error) => failed(`WebSocket connection to '${this.#url}' failed: ${error?.message ?? error}`));
  }

  get readyState() { return this.#readyState; }
  get url() { return this.#url; }
  get protocol() { return this.#protocol; }
  get extensions() { return ""; }
  get binaryType() { return this.#binaryType; }
  set binaryType(value) {
    if (value === "arraybuffer" || value === "blob") this.#binaryType = value;
  }

  accept() {
    if (this.#accepted) throw new $TypeError("WebSocket.accept(): the socket was already accepted");
    if (this.#peer === null && this.#socket === 0) {
      throw new $TypeError("WebSocket.accept(): this end was returned in a Response; accept the other end");
    }
    this.#accepted = true;
    const queued = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queued.length; i++) this.#fire(queued[i]);
  }

  send(message) {
    if (!this.#accepted) throw new $TypeError("WebSocket.send(): accept() the socket first");
    if (this.#readyState !== OPEN) throw new $TypeError("WebSocket.send(): the socket is closed or closing");
    let data;
    let binary = false;
    if (typeof message === "string") {
      data = message;
    } else if (isArrayBuffer(message)) {
      data = message;
      binary = true;
    } else if (ArrayBufferIsView(message)) {
      data = message;
      binary = true;
    } else {
      data = `${message}`;
    }
    if (this.#socket !== 0) {
      // False when the client is gone or not reading: its close event follows from the connection.
      nativeSend(this.#socket, data, binary);
      return;
    }
    const peer = this.#peer;
    if (peer === null) return;
    const copy = binary ? (isArrayBuffer(data) ? data.slice(0) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer) : data;
    internal.setTimeout(() => access.receive(peer, copy, binary), 0);
  }

  close(code = undefined, reason = undefined) {
    if (code !== undefined) {
      code = +code | 0;
      if (code !== 1000 && (code < 3000 || code > 4999)) {
        throw new DOMException(`WebSocket.close(): invalid code ${code}`, "InvalidAccessError");
      }
    }
    reason = reason === undefined ? "" : `${reason}`;
    if (utf8Length(reason) > MAX_REASON_BYTES) {
      throw new DOMException("WebSocket.close(): the reason is longer than 123 bytes", "SyntaxError");
    }
    if (this.#readyState >= CLOSING) return;
    this.#readyState = CLOSING;
    const c = code === undefined ? 1000 : code;
    if (this.#socket !== 0) {
      nativeClose(this.#socket, c, reason);
      return;
    }
    const peer = this.#peer;
    internal.setTimeout(() => {
      this.#readyState = CLOSED;
      if (peer !== null) access.closed(peer, c, reason, true);
      this.#fire(new CloseEvent("close", { code: c, reason, wasClean: true }));
    }, 0);
  }

  #fire(event) {
    if (this.#sink !== null) {
      this.#sink(this, event);
      return;
    }
    if (!this.#accepted) {
      this.#queue.push(event);
      return;
    }
    this.dispatchEvent(event);
  }

  // Durable Objects' hibernation API (js/lazy/do_websocket.js keeps the attachment).
  serializeAttachment(value) { internal.require("do_websocket").serializeAttachment(this, value); }
  deserializeAttachment() { return internal.require("do_websocket").deserializeAttachment(this); }

  #handler(type) { return this.#handlers[type] ?? null; }
  #setHandler(type, value) {
    const first = this.#handlers[type] === undefined;
    this.#handlers[type] = typeof value === "function" ? value : null;
    if (first) {
      this.addEventListener(type, (event) => {
        const fn = this.#handlers[type];
        if (typeof fn === "function") ReflectApply(fn, this, [event]);
      });
    }
  }
  get onmessage() { return this.#handler("message"); }
  set onmessage(v) { this.#setHandler("message", v); }
  get onclose() { return this.#handler("close"); }
  set onclose(v) { this.#setHandler("close", v); }
  get onerror() { return this.#handler("error"); }
  set onerror(v) { this.#setHandler("error", v); }
  get onopen() { return this.#handler("open"); }
  set onopen(v) { this.#setHandler("open", v); }

  static {
    access = {
      pair(a, b) {
        a.#peer = b;
        b.#peer = a;
      },
      is: (o) => o !== null && typeof o === "object" && #socket in o,
      receive(ws, data, binary) {
        if (ws.#readyState !== OPEN && ws.#readyState !== CLOSING) return;
        let value = data;
        if (binary && ws.#binaryType === "blob") {
          const { Blob } = internal.require("blob");
          value = new Blob([data]);
        }
        ws.#fire(new MessageEvent("message", { data: value }));
      },
      closed(ws, code, reason, wasClean) {
        if (ws.#readyState === CLOSED) return;
        ws.#readyState = CLOSED;
        ws.#fire(new CloseEvent("close", { code, reason, wasClean }));
      },
      error(ws, message) {
        ws.#fire(new ErrorEvent("error", { message }));
      },
      // The handler returned `client` in a 101: the connection is upgraded, `client`'s peer (the
      // `server` end) now talks to the real client through socket `id`.
      attach(client, id) {
        const server = client.#peer;
        client.#peer = null;
        client.#readyState = CLOSED;
        if (server === null) return;
        server.#peer = null;
        server.#socket = id;
        sinks.set(id, server);
      },
      taken: (client) => client.#peer === null,
      // An upgraded fetch's socket (js/lazy/fetch.js): its events come here once accepted.
      adoptFetched(id, url) {
        const ws = new WebSocket(kCreate);
        ws.#socket = id;
        ws.#url = url;
        sinks.set(id, ws);
        return ws;
      },
      // A fetched socket not accepted, returned in a 101: relayed to the client.
      relayable: (ws) => ws.#socket !== 0 && ws.#peer === null && !ws.#accepted,
      // new WebSocket(url): the fetched socket's id moves to the WebSocket made by the caller.
      takeOver(ws, fetched, protocol) {
        const id = fetched.#socket;
        fetched.#socket = 0;
        fetched.#readyState = CLOSED;
        ws.#socket = id;
        ws.#protocol = protocol;
        ws.#readyState = OPEN;
        sinks.set(id, ws);
        const queued = fetched.#queue;
        fetched.#queue = [];
        for (let i = 0; i < queued.length; i++) ws.#fire(queued[i]);
      },
      // ctx.acceptWebSocket: the `server` end's events go to `sink` instead of its listeners.
      adopt(ws, sink) {
        if (ws.#accepted) throw new $TypeError("acceptWebSocket(): the WebSocket was already accepted");
        if (ws.#peer === null && ws.#socket === 0) {
          throw new $TypeError("acceptWebSocket(): this end was returned in a Response; accept the other end");
        }
        ws.#accepted = true;
        ws.#sink = sink;
      },
      // The `server` end behind a returned `client` if it was accept()ed (not hibernatable).
      plainServerOf: (client) => (access.is(client) && client.#peer !== null && client.#peer.#accepted && client.#peer.#sink === null ? client.#peer : null),
    };
  }
}

internal.onWebSocketEventHandler = (id, kind, a, b, c) => {
  const ws = sinks.get(id);
  if (ws === undefined) return;
  if (kind === EV_TEXT) access.receive(ws, a, false);
  else if (kind === EV_BINARY) access.receive(ws, a, true);
  else if (kind === EV_ERROR) access.error(ws, a);
  else if (kind === EV_CLOSE) {
    sinks.delete(id);
    access.closed(ws, b, a, c);
  }
};

internal.isWebSocket = (o) => access.is(o);

// https://websockets.spec.whatwg.org/#dom-websocket-websocket steps 1-6: ws:, wss: (or http:,
// https:), no fragment; a SyntaxError otherwise.
function parseSocketUrl(url) {
  let parsed;
  try {
    parsed = new $URL(`${url}`);
  } catch {
    throw new DOMException(`Failed to construct 'WebSocket': The URL '${url}' is invalid.`, "SyntaxError");
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new DOMException(`Failed to construct 'WebSocket': The URL's scheme must be either 'ws' or 'wss'. '${parsed.protocol}' is not allowed.`, "SyntaxError");
  }
  if (parsed.hash !== "") {
    throw new DOMException("Failed to construct 'WebSocket': The URL contains a fragment identifier.", "SyntaxError");
  }
  return parsed;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
function socketProtocols(protocols) {
  if (protocols === undefined) return [];
  const list = typeof protocols === "string" ? [protocols] : Array.from(protocols, (p) => `${p}`);
  const seen = new Set();
  for (const p of list) {
    if (!TOKEN.test(p) || seen.has(p)) {
      throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${p}' is invalid or duplicated.`, "SyntaxError");
    }
    seen.add(p);
  }
  return list;
}

// A close code the other side of a relay may be given by close(): 1000, 3000-4999; others
// (1001, 1006, 1011...) become 1000.
function relayCode(code) { return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000; }

// A fetched socket (a Durable Object in another process, an origin) returned in a 101: the
// client's socket and the fetched one forward each other's messages and close.
function relay(id, fetched, flat) {
  const pair = new WebSocketPair();
  const inbound = pair[1];
  if (!sendUpgrade(id, pair[0], flat)) return false;
  const forward = (to) => (event) => {
    try {
      to.send(event.data);
    } catch {}
  };
  const closing = (to) => (event) => {
    try {
      to.close(relayCode(event.code), event.reason);
    } catch {}
  };
  inbound.addEventListener("message", forward(fetched));
  inbound.addEventListener("close", closing(fetched));
  fetched.addEventListener("message", forward(inbound));
  fetched.addEventListener("close", closing(inbound));
  inbound.accept();
  fetched.accept();
  return true;
}

// sendResponse (js/40_response.js) for a Response with `webSocket`: the 101 with its headers.
function sendUpgrade(id, client, flat) {
  if (access.relayable(client)) return relay(id, client, flat);
  if (access.taken(client)) return false;  // returned twice, or an end already returned
  const socket = nativeRespond(id, 101, "", flat, null, false, true);
  if (socket === 0) return false;
  access.attach(client, socket);
  return true;
}

class WebSocketPair {
  constructor() {
    const client = new WebSocket(kCreate);
    const server = new WebSocket(kCreate);
    access.pair(client, server);
    this[0] = client;
    this[1] = server;
  }
}

for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSING", CLOSING], ["CLOSED", CLOSED]]) {
  Object.defineProperty(WebSocket, name, { value, enumerable: true });
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

exposeInterface(CloseEvent, "CloseEvent", false);
exposeInterface(WebSocket, "WebSocket", false);
exposeInterface(WebSocketPair, "WebSocketPair", false);

// js/lazy/fetch.js: the socket of a fetch answered 101.
function adoptSocket(id, url) {
  return access.adoptFetched(id, url);
}

// For js/lazy/do_websocket.js and js/lazy/durable_objects.js.
const hibernation = { adopt: access.adopt, plainServerOf: access.plainServerOf };

export { WebSocket, WebSocketPair, CloseEvent, sendUpgrade, adoptSocket, hibernation };
