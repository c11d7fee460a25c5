// MessageChannel, MessagePort and MessageEvent
// (https://html.spec.whatwg.org/multipage/web-messaging.html). Both ports live in the same
// context: postMessage clones the message at once (structuredClone, transfer of ArrayBuffers)
// and delivers it to the other port in a later task, once that port is started (start(), or
// setting onmessage). Ports cannot themselves be transferred.
const { exposeInterface } = internal;
const { Event, EventTarget } = internal.require("events");
const { structuredClone } = internal.require("scope");
const $TypeError = TypeError;
const ReflectApply = Reflect.apply;
const kCreate = Symbol("create");

class MessageEvent extends Event {
  #data;
  #origin;
  #lastEventId;
  #source;
  #ports;

  constructor(type, eventInitDict = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to construct 'MessageEvent': 1 argument required, but only 0 present.");
    super(type, eventInitDict);
    const init = eventInitDict ?? {};
    this.#data = init.data === undefined ? null : init.data;
    this.#origin = init.origin === undefined ? "" : `${init.origin}`;
    this.#lastEventId = init.lastEventId === undefined ? "" : `${init.lastEventId}`;
    this.#source = init.source ?? null;
    this.#ports = Object.freeze(init.ports === undefined ? [] : [...init.ports]);
  }

  get data() { return this.#data; }
  get origin() { return this.#origin; }
  get lastEventId() { return this.#lastEventId; }
  get source() { return this.#source; }
  get ports() { return this.#ports; }
}

let portAccess;

class MessagePort extends EventTarget {
  #other = null;
  #queue = [];
  #started = false;
  #closed = false;
  #scheduled = false;
  #onmessage = null;
  #onmessageerror = null;

  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    super();
  }

  postMessage(message, transferOrOptions = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to execute 'postMessage' on 'MessagePort': 1 argument required, but only 0 present.");
    let transfer;
    if (Array.isArray(transferOrOptions)) {
      transfer = transferOrOptions;
    } else if (transferOrOptions !== undefined && transferOrOptions !== null) {
      transfer = transferOrOptions.transfer;
    }
    const data = structuredClone(message, transfer === undefined ? undefined : { transfer });
    const target = this.#other;
    if (this.#closed || target === null) return;
    target.#enqueue(data);
  }

  start() {
    if (this.#started) return;
    this.#started = true;
    this.#schedule();
  }

  close() {
    this.#closed = true;
    const other = this.#other;
    this.#other = null;
    if (other !== null) other.#other = null;
  }

  get onmessage() { return this.#onmessage; }
  set onmessage(value) {
    const first = this.#onmessage === null;
    this.#onmessage = typeof value === "function" ? value : null;
    if (first && this.#onmessage !== null) {
      this.addEventListener("message", (event) => {
        if (this.#onmessage !== null) ReflectApply(this.#onmessage, this, [event]);
      });
    }
    this.start();
  }

  get onmessageerror() { return this.#onmessageerror; }
  set onmessageerror(value) {
    const first = this.#onmessageerror === null;
    this.#onmessageerror = typeof value === "function" ? value : null;
    if (first && this.#onmessageerror !== null) {
      this.addEventListener("messageerror", (event) => {
        if (this.#onmessageerror !== null) ReflectApply(this.#onmessageerror, this, [event]);
      });
    }
  }

  #enqueue(data) {
    this.#queue.push(data);
    this.#schedule();
  }

  #schedule() {
    if (!this.#started || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    internal.setTimeout(() => {
      this.#scheduled = false;
      // One message per task, as the port message queue delivers them.
      if (this.#queue.length === 0) return;
      const data = this.#queue.shift();
      this.dispatchEvent(new MessageEvent("message", { data }));
      this.#schedule();
    }, 0);
  }

  static {
    portAccess = {
      entangle(a, b) {
        a.#other = b;
        b.#other = a;
      },
    };
  }
}

class MessageChannel {
  #port1 = new MessagePort(kCreate);
  #port2 = new MessagePort(kCreate);

  constructor() {
    portAccess.entangle(this.#port1, this.#port2);
  }

  get port1() { return this.#port1; }
  get port2() { return this.#port2; }
}

exposeInterface(MessageEvent, "MessageEvent", false);
exposeInterface(MessagePort, "MessagePort", false);
exposeInterface(MessageChannel, "MessageChannel", false);

export { MessageChannel, MessagePort, MessageEvent };
