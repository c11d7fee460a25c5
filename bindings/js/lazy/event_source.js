// EventSource (https://html.spec.whatwg.org/multipage/server-sent-events.html): a client of a
// text/event-stream, over the runtime's own fetch() (so the SSRF guard and `outbound` apply as to
// any fetch), reconnecting after the retry delay with Last-Event-ID. As in workerd,
// `EventSource.from(readableStream)` parses a stream the script already has (no reconnection).
// A lazy module: the first read of the `EventSource` global loads it.
const { exposeInterface } = internal;
const { Event, EventTarget, AbortController } = internal.require("events");
const { DOMException } = internal.require("dom_exception");
const { MessageEvent } = internal.require("messaging");
const { fetch } = internal.require("fetch");
const { TextDecoder } = internal.require("encoding");
const { setTimeout, clearTimeout } = internal;
const $TypeError = TypeError;
const $URL = internal.require("url").URL;
const kCreate = Symbol("create");

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const DEFAULT_RETRY_MS = 3000;

// The event stream interpretation (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// feed() text as it is decoded; `dispatch(type, data, lastEventId)` for each complete event,
// `retry(ms)` for a retry field.
class EventStreamParser {
  #buffer = "";
  #data = "";
  #type = "";
  #lastEventId = "";
  #pendingCr = false;
  #dispatch;
  #retry;

  constructor(dispatch, retry) {
    this.#dispatch = dispatch;
    this.#retry = retry;
  }

  get lastEventId() {
    return this.#lastEventId;
  }

  set lastEventId(value) {
    this.#lastEventId = value;
  }

  feed(text) {
    let start = 0;
    let i = 0;
    const buffer = this.#buffer + text;
    this.#buffer = "";
    if (this.#pendingCr && buffer[0] === "\n") start = i = 1;
    this.#pendingCr = false;
    for (; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      this.#line(buffer.slice(start, i));
      if (c === "\r") {
        if (i + 1 === buffer.length) {
          this.#pendingCr = true;
        } else if (buffer[i + 1] === "\n") {
          i++;
        }
      }
      start = i + 1;
    }
    this.#buffer = buffer.slice(start);
  }

  // The stream ended: an incomplete event is discarded, as the standard says.
  end() {
    this.#buffer = "";
    this.#data = "";
    this.#type = "";
  }

  #line(line) {
    if (line === "") {
      this.#fire();
      return;
    }
    if (line[0] === ":") return;
    const colon = line.indexOf(":");
    let field = line;
    let value = "";
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
    }
    switch (field) {
      case "event":
        this.#type = value;
        break;
      case "data":
        this.#data += `${value}\n`;
        break;
      case "id":
        if (!value.includes("\0")) this.#lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.#retry(+value);
        break;
      default:
        break;
    }
  }

  #fire() {
    const type = this.#type === "" ? "message" : this.#type;
    this.#type = "";
    if (this.#data === "") return;
    const data = this.#data.slice(0, -1);
    this.#data = "";
    this.#dispatch(type, data, this.#lastEventId);
  }
}

class EventSource extends EventTarget {
  #url;
  #withCredentials = false;
  #readyState = CONNECTING;
  #retryMs = DEFAULT_RETRY_MS;
  #parser;
  #controller = null;
  #timer = null;
  #origin = "";
  #handlers = { open: null, message: null, error: null };

  constructor(url, init = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
    super();
    const fromStream = url === kCreate;
    if (!fromStream) {
      let parsed;
      try {
        parsed = new $URL(`${url}`);
      } catch {
        throw new DOMException(`Failed to construct 'EventSource': The URL '${url}' is invalid.`, "SyntaxError");
      }
      this.#url = parsed.href;
      this.#origin = parsed.origin;
      this.#withCredentials = Boolean(init?.withCredentials);
    } else {
      this.#url = "";
    }
    this.#parser = new EventStreamParser(
      (type, data, lastEventId) => this.#dispatchMessage(type, data, lastEventId),
      (ms) => {
        this.#retryMs = ms;
      });
    if (!fromStream) this.#connect();
  }

  // workerd's extension: an EventSource reading a stream the script already has.
  static from(stream) {
    if (stream === null || typeof stream !== "object" || typeof stream.getReader !== "function") {
      throw new $TypeError("Failed to execute 'from' on 'EventSource': the argument is not a ReadableStream.");
    }
    const source = new EventSource(kCreate);
    source.#readyState = OPEN;
    setTimeout(() => {
      if (source.#readyState !== OPEN) return;
      source.dispatchEvent(new Event("open"));
      source.#read(stream, false);
    }, 0);
    return source;
  }

  get url() {
    return this.#url;
  }

  get withCredentials() {
    return this.#withCredentials;
  }

  get readyState() {
    return this.#readyState;
  }

  close() {
    this.#readyState = CLOSED;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const controller = this.#controller;
    this.#controller = null;
    if (controller !== null) controller.abort();
  }

  get onopen() {
    return this.#handlers.open;
  }

  set onopen(value) {
    this.#setHandler("open", value);
  }

  get onmessage() {
    return this.#handlers.message;
  }

  set onmessage(value) {
    this.#setHandler("message", value);
  }

  get onerror() {
    return this.#handlers.error;
  }

  set onerror(value) {
    this.#setHandler("error", value);
  }

  #setHandler(type, value) {
    const previous = this.#handlers[type];
    if (previous !== null) this.removeEventListener(type, previous);
    this.#handlers[type] = typeof value === "function" ? value : null;
    if (this.#handlers[type] !== null) this.addEventListener(type, this.#handlers[type]);
  }

  #dispatchMessage(type, data, lastEventId) {
    if (this.#readyState === CLOSED) return;
    this.dispatchEvent(new MessageEvent(type, { data, origin: this.#origin, lastEventId }));
  }

  async #connect() {
    const controller = new AbortController();
    this.#controller = controller;
    const headers = { accept: "text/event-stream", "cache-control": "no-store" };
    if (this.#parser.lastEventId !== "") headers["last-event-id"] = this.#parser.lastEventId;
    let response;
    try {
      response = await fetch(this.#url, { headers, signal: controller.signal });
    } catch (e) {
      if (this.#readyState !== CLOSED) this.#reconnectLater();
      return;
    }
    if (this.#readyState === CLOSED) return;
    const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (response.status !== 200 || type !== "text/event-stream" || response.body === null) {
      // "Fail the connection": no reconnection.
      this.#readyState = CLOSED;
      this.#controller = null;
      if (response.body !== null) response.body.cancel().catch(() => {});
      this.dispatchEvent(new Event("error"));
      return;
    }
    this.#readyState = OPEN;
    this.dispatchEvent(new Event("open"));
    await this.#read(response.body, true);
  }

  async #read(stream, reconnect) {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let first = true;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#readyState === CLOSED) break;
        let text = decoder.decode(value, { stream: true });
        if (first && text.length > 0) {
          if (text[0] === "\uFEFF") text = text.slice(1);
          first = false;
        }
        this.#parser.feed(text);
      }
    } catch {
      // A network error ends the stream as its end does.
    }
    this.#parser.end();
    if (this.#readyState === CLOSED) {
      reader.cancel().catch(() => {});
      return;
    }
    if (reconnect) {
      this.#reconnectLater();
    } else {
      this.#readyState = CLOSED;
      this.dispatchEvent(new Event("error"));
    }
  }

  #reconnectLater() {
    this.#readyState = CONNECTING;
    this.#controller = null;
    this.dispatchEvent(new Event("error"));
    if (this.#readyState === CLOSED) return;  // an error listener closed it
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#readyState === CONNECTING) this.#connect();
    }, this.#retryMs);
  }
}

for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSED", CLOSED]]) {
  Object.defineProperty(EventSource, name, { value, enumerable: true });
  Object.defineProperty(EventSource.prototype, name, { value, enumerable: true });
}
exposeInterface(EventSource, "EventSource", false);

export { EventSource };
