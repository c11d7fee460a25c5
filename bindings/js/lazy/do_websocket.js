// Durable Objects' WebSocket hibernation API
// (https://developers.cloudflare.com/durable-objects/best-practices/websockets/,
// https://developers.cloudflare.com/durable-objects/api/state/): ctx.acceptWebSocket(ws, tags)
// hands the `server` end of a WebSocketPair to the object; its messages, close and errors then
// run the object's webSocketMessage / webSocketClose / webSocketError, each as one event of the
// object (its input gate, js/lazy/durable_objects.js runEvent; CPU: one account per WebSocket
// event, bindings/worker_websockets.cc).
// Hibernation: what a socket needs (its object, tags, attachment, the auto-response) is kept
// here, by object, outside the instance; so an object whose only sockets are these is evicted
// like any idle object (do_idle_ms: the instance and its SQLite handle go), and its next socket
// event re-creates it (the constructor runs again) before calling the handler. A message equal
// to the object's auto-response request is answered here, without the object and without
// tenant code. A lazy module: loaded by the first acceptWebSocket() or the first read of
// WebSocketRequestResponsePair.
const $TypeError = TypeError;
const $RangeError = RangeError;
const $Error = Error;
const $String = String;
const $Map = Map;
const $Set = Set;
const $WeakMap = WeakMap;
const $Date = Date;
const DateNow = Date.now;
const ArrayIsArray = Array.isArray;
const NumberIsFinite = Number.isFinite;
const { exposeInterface } = internal;

const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 256;
const MAX_ATTACHMENT_BYTES = 2048;
const MAX_SOCKETS = 32768;           // hibernatable sockets per object, as Workers
const MAX_AUTO_RESPONSE_LENGTH = 2048;
const MAX_EVENT_TIMEOUT_MS = 7 * 24 * 3600 * 1000;

// https://developers.cloudflare.com/durable-objects/api/state/#setwebsocketautoresponse
class WebSocketRequestResponsePair {
  #request;
  #response;
  constructor(request, response) {
    request = $String(request);
    response = $String(response);
    if (request.length > MAX_AUTO_RESPONSE_LENGTH || response.length > MAX_AUTO_RESPONSE_LENGTH) {
      throw new $RangeError(`WebSocketRequestResponsePair: request and response are limited to ${MAX_AUTO_RESPONSE_LENGTH} characters`);
    }
    this.#request = request;
    this.#response = response;
  }
  get request() { return this.#request; }
  get response() { return this.#response; }
}

// What survives the instance, per object ("className hex").
class Room {
  constructor(className, hex) {
    this.className = className;
    this.hex = hex;
    this.sockets = new $Set();
    this.autoResponse = null;   // WebSocketRequestResponsePair
    this.eventTimeoutMs = null;
  }
}

const rooms = new $Map();            // "className hex" -> Room
const socketInfo = new $WeakMap();   // ws -> { room, tags, autoResponseAt }
const attachments = new $WeakMap();  // ws -> serialized bytes (any WebSocket may carry one)

function roomOf(className, hex, create) {
  const key = `${className} ${hex}`;
  let room = rooms.get(key);
  if (room === undefined && create) {
    room = new Room(className, hex);
    rooms.set(key, room);
  }
  return room;
}

function checkTags(tags) {
  if (tags === undefined || tags === null) return [];
  if (!ArrayIsArray(tags)) throw new $TypeError("acceptWebSocket(): tags must be an array of strings");
  if (tags.length > MAX_TAGS) throw new $TypeError(`acceptWebSocket(): a WebSocket may have at most ${MAX_TAGS} tags`);
  const out = [];
  for (const tag of tags) {
    const text = $String(tag);
    if (text.length > MAX_TAG_LENGTH) throw new $TypeError(`acceptWebSocket(): a tag may have at most ${MAX_TAG_LENGTH} characters`);
    if (text.length === 0) throw new $TypeError("acceptWebSocket(): a tag may not be empty");
    out.push(text);
  }
  return out;
}

export function acceptWebSocket(className, hex, ws, tags) {
  const { hibernation } = internal.require("websocket");
  if (!internal.isWebSocket(ws)) throw new $TypeError("acceptWebSocket(): expected a WebSocket");
  const checked = checkTags(tags);
  const room = roomOf(className, hex, true);
  if (room.sockets.size >= MAX_SOCKETS) throw new $Error(`acceptWebSocket(): an object may accept at most ${MAX_SOCKETS} WebSockets`);
  hibernation.adopt(ws, onEvent);
  room.sockets.add(ws);
  socketInfo.set(ws, { room, tags: checked, autoResponseAt: null });
  sweepLater();
}

export function getWebSockets(className, hex, tag) {
  const room = roomOf(className, hex, false);
  if (room === undefined) return [];
  const out = [];
  const wanted = tag === undefined || tag === null ? null : $String(tag);
  for (const ws of room.sockets) {
    if (wanted === null || socketInfo.get(ws).tags.includes(wanted)) out.push(ws);
  }
  return out;
}

function infoOf(className, hex, ws) {
  const info = socketInfo.get(ws);
  if (info === undefined || info.room.className !== className || info.room.hex !== hex) {
    throw new $TypeError("the WebSocket was not accepted by this object's acceptWebSocket()");
  }
  return info;
}

export function getTags(className, hex, ws) {
  return infoOf(className, hex, ws).tags.slice();
}

export function setAutoResponse(className, hex, pair) {
  if (pair !== undefined && pair !== null && !(pair instanceof WebSocketRequestResponsePair)) {
    throw new $TypeError("setWebSocketAutoResponse(): expected a WebSocketRequestResponsePair");
  }
  roomOf(className, hex, true).autoResponse = pair ?? null;
}

export function getAutoResponse(className, hex) {
  return roomOf(className, hex, false)?.autoResponse ?? null;
}

export function getAutoResponseTimestamp(className, hex, ws) {
  const at = infoOf(className, hex, ws).autoResponseAt;
  return at === null ? null : new $Date(at);
}

export function setEventTimeout(className, hex, ms) {
  if (ms === undefined || ms === null) {
    roomOf(className, hex, true).eventTimeoutMs = null;
    return;
  }
  const value = +ms;
  if (!NumberIsFinite(value) || value < 0 || value > MAX_EVENT_TIMEOUT_MS) {
    throw new $RangeError(`setHibernatableWebSocketEventTimeout(): expected 0 to ${MAX_EVENT_TIMEOUT_MS} milliseconds`);
  }
  roomOf(className, hex, true).eventTimeoutMs = value;
}

export function getEventTimeout(className, hex) {
  return roomOf(className, hex, false)?.eventTimeoutMs ?? null;
}

export function serializeAttachment(ws, value) {
  const bytes = native.doSerialize(value);
  if (bytes.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new $RangeError(`serializeAttachment(): the serialized value is ${bytes.byteLength} bytes; at most ${MAX_ATTACHMENT_BYTES} are allowed`);
  }
  attachments.set(ws, bytes);
}

export function deserializeAttachment(ws) {
  const bytes = attachments.get(ws);
  return bytes === undefined ? null : native.doDeserialize(bytes);
}

// An event of an adopted socket (websocket.js #fire): the auto-response, or the object's handler.
function onEvent(ws, event) {
  const info = socketInfo.get(ws);
  if (info === undefined) return;
  const room = info.room;
  const type = event.type;
  if (type === "message") {
    const pair = room.autoResponse;
    if (pair !== null && event.data === pair.request) {
      info.autoResponseAt = DateNow();
      try {
        ws.send(pair.response);
      } catch {}
      return;
    }
    dispatch(room, "webSocketMessage", [ws, event.data]);
  } else if (type === "close") {
    room.sockets.delete(ws);
    if (room.sockets.size === 0 && room.autoResponse === null && room.eventTimeoutMs === null) {
      rooms.delete(`${room.className} ${room.hex}`);
    }
    dispatch(room, "webSocketClose", [ws, event.code, event.reason, event.wasClean]);
  } else if (type === "error") {
    dispatch(room, "webSocketError", [ws, event.error ?? new $Error(event.message)]);
  }
}

// One event of the object (re-created if it hibernated); a throwing handler is reported, and the
// socket stays open.
function dispatch(room, method, args) {
  const { runObjectEvent } = internal.require("durable_objects");
  runObjectEvent(room.className, room.hex, (instance) => {
    const fn = instance[method];
    if (typeof fn === "function") return fn.apply(instance, args);
    return undefined;
  }).then(undefined, (e) => internal.reportError(e)).then(sweepLater);
}

// Objects with hibernatable sockets are evicted once idle even if no other event comes (the
// objects' own sweep runs only at an event): one timer per context while such an object is in
// memory, do_idle_ms after the last event.
let sweepTimer = null;
function sweepLater() {
  if (sweepTimer !== null) return;
  sweepTimer = internal.setTimeout(() => {
    sweepTimer = null;
    const { sweepNow } = internal.require("durable_objects");
    for (const room of rooms.values()) {
      if (room.sockets.size > 0 && sweepNow(room.className, room.hex)) {
        sweepLater();
        return;
      }
    }
  }, native.doIdleMs() + 50);
}

exposeInterface(WebSocketRequestResponsePair, "WebSocketRequestResponsePair", false);

export { WebSocketRequestResponsePair };
