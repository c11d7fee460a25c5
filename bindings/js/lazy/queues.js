// Queues (https://developers.cloudflare.com/queues/configuration/javascript-apis/): env.NAME for
// a [tenants.queues] binding is a Queue producer (send, sendBatch); a
// [tenants.queue_consumers] entry makes the tenant's default export's queue(batch, env, ctx)
// consume that queue, in batches of max_batch_size messages or what arrived within
// max_batch_timeout seconds, with ack()/retry() per message or ackAll()/retryAll() per batch, up
// to max_retries retries, then the dead letter queue (or the message is dropped).
//
// A queue is a Durable Object of an engine class (engineClassName("queues", name), "-" as "$"),
// as D1 databases are: its messages are rows of a table in the object's SQLite database (the
// body as the bytes it was sent as), its alarm is the next delivery. Every delivery is the
// object's alarm event, with the tenant's limits; a batch whose event was ended (a limit, a
// crash) stays leased and is delivered again with that attempt counted, so a handler that
// cannot fit its limits ends in the dead letter queue instead of looping.
const $TypeError = TypeError;
const $RangeError = RangeError;
const $Error = Error;
const $String = String;
const $Number = Number;
const $Date = Date;
const $Map = Map;
const $ArrayBuffer = ArrayBuffer;
const $Uint8Array = Uint8Array;
const DateNow = Date.now;
const MathMax = Math.max;
const MathMin = Math.min;
const NumberIsFinite = Number.isFinite;
const ArrayBufferIsView = ArrayBuffer.isView;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const PromiseAllSettled = Promise.allSettled.bind(Promise);
const kToken = Symbol("queues");

const OBJECT_NAME = "queue";
const MAX_MESSAGE_BYTES = 128 * 1024;
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_DELAY_S = 43200;
const CONTENT_TYPES = ["json", "text", "bytes", "v8"];
// A delivery's alarm is moved this far ahead while the handler runs (the server fires no other
// event of the object while one is in flight): if its event is ended before the batch is
// settled (a limit, a crash), the batch comes again then, its attempts already counted.
const REDELIVER_AFTER_MS = 2000;

const consumers = new $Map();  // queue name -> its consumer's settings (config/env_queues.h)

function objects() { return internal.require("durable_objects"); }
function engineName(queue) { return queue.replaceAll("-", "$"); }

function delayOf(value, what) {
  if (value === undefined) return 0;
  const n = $Number(value);
  if (!NumberIsFinite(n) || n < 0 || n > MAX_DELAY_S) {
    throw new $RangeError(`${what}: delaySeconds must be a number of seconds from 0 to ${MAX_DELAY_S}`);
  }
  return n;
}

// A message as stored: its body in the content type's form, cloned now (the sender may change
// the object after send() returns) and measured.
function encode(body, contentType = "v8", delaySeconds) {
  if (!CONTENT_TYPES.includes(contentType)) {
    throw new $TypeError(`contentType must be one of ${CONTENT_TYPES.join(", ")}, got ${$String(contentType)}`);
  }
  if (contentType === "text" && typeof body !== "string") throw new $TypeError("a \"text\" message's body must be a string");
  if (contentType === "bytes") {
    // A copy of exactly its bytes (a view would take its whole buffer into the message).
    if (body instanceof $ArrayBuffer) body = new $Uint8Array(body.slice(0));
    else if (ArrayBufferIsView(body)) body = new $Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
    else throw new $TypeError("a \"bytes\" message's body must be an ArrayBuffer or a view of one");
  }
  if (contentType === "json") {
    const text = JSONStringify(body);
    if (text === undefined) throw new $TypeError("a \"json\" message's body must be JSON-serializable");
    body = JSONParse(text);
  }
  const bytes = native.doSerialize(body);
  const size = bytes.byteLength;
  if (size > MAX_MESSAGE_BYTES) throw new $RangeError(`a message is ${size} bytes, above the 128 KB limit`);
  return { bytes, size, contentType, delaySeconds };
}

// A message row's body as the consumer gets it.
function decode(row) {
  const body = native.doDeserialize(row.body);
  return row.content_type === "bytes" ? body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) : body;
}

// ---------------------------------------------------------------------------------------------
// The producer (env.NAME)

class Queue {
  #stub;
  constructor(token, stub) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.#stub = stub;
  }
  async send(body, options = undefined) {
    const message = encode(body, options?.contentType, delayOf(options?.delaySeconds, "send"));
    await this.#stub.call("qSend", [[message]]);
  }
  async sendBatch(messages, options = undefined) {
    const list = messages === null || messages === undefined ? undefined : [...messages];
    if (list === undefined || list.length === 0 || list.length > MAX_BATCH_MESSAGES) {
      throw new $TypeError(`sendBatch: expected 1 to ${MAX_BATCH_MESSAGES} messages ({ body, contentType?, delaySeconds? })`);
    }
    const delay = delayOf(options?.delaySeconds, "sendBatch");
    let total = 0;
    const encoded = list.map((m) => {
      if (m === null || typeof m !== "object") throw new $TypeError("sendBatch: each message is { body, contentType?, delaySeconds? }");
      const e = encode(m.body, m.contentType, m.delaySeconds === undefined ? delay : delayOf(m.delaySeconds, "sendBatch"));
      total += e.size;
      return e;
    });
    if (total > MAX_BATCH_BYTES) throw new $RangeError(`sendBatch: the batch is ${total} bytes, above the 256 KB limit`);
    await this.#stub.call("qSend", [encoded]);
  }
}

// The queue's object: platformCall (durable_objects.js) runs it here without cloning (the
// messages are bytes already), or forwards the call to the process that runs it.
class EngineStub {
  #className;
  #hex;
  constructor(className) {
    this.#className = className;
    this.#hex = objects().newNamespace(className).idFromName(OBJECT_NAME).toString();
  }
  call(method, args) { return objects().platformCall(this.#className, this.#hex, method, args); }
}

const stubs = new $Map();
function stubOf(queue) {
  let stub = stubs.get(queue);
  if (stub === undefined) {
    stub = new EngineStub(objects().engineClassName("queues", engineName(queue)));
    stubs.set(queue, stub);
  }
  return stub;
}

export function newQueue(queue) {
  return new Queue(kToken, stubOf(queue));
}

// A [tenants.queue_consumers] entry: (settings JSON, queue name). Loads durable_objects with the
// context: its hook takes the calls other processes forward to the queue this one runs.
export function consume(settings, queue) {
  consumers.set(queue, JSONParse(settings));
  objects();
}

// ---------------------------------------------------------------------------------------------
// What the consumer gets

class Message {
  #outcome;
  constructor(token, row, body, outcome) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.id = row.id;
    this.timestamp = new $Date(row.timestamp);
    this.body = body;
    this.attempts = row.attempts + 1;  // this delivery's
    this.#outcome = outcome;
  }
  ack() { this.#outcome.decide(this.id, { ack: true }); }
  retry(options = undefined) { this.#outcome.decide(this.id, { delay: options?.delaySeconds }); }
}

class MessageBatch {
  #outcome;
  #ids;
  constructor(token, queue, messages, outcome) {
    if (token !== kToken) throw new $TypeError("Illegal constructor");
    this.queue = queue;
    this.messages = messages;
    this.#outcome = outcome;
    this.#ids = messages.map((m) => m.id);
  }
  ackAll() { for (const id of this.#ids) this.#outcome.decide(id, { ack: true }); }
  retryAll(options = undefined) { for (const id of this.#ids) this.#outcome.decide(id, { delay: options?.delaySeconds }); }
}

// Each message's first ack or retry is the one that counts (Queues' precedence rule).
class Outcome {
  constructor() { this.decided = new $Map(); }
  decide(id, what) {
    if (what.delay !== undefined) delayOf(what.delay, "retry");
    if (!this.decided.has(id)) this.decided.set(id, what);
  }
}

// ---------------------------------------------------------------------------------------------
// The engine (the queue's Durable Object)

// The object's own table (through ctx.storage.sql): one row per message, the body as stored
// bytes; `visible_at` is when it may be delivered (ms), `leased` whether a delivery has it now.
const SCHEMA = `CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, timestamp INTEGER NOT NULL, visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL, leased INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS messages_due ON messages(visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_leased ON messages(seq) WHERE leased = 1`;

class QueueEngine {
  #storage;
  #sql;
  #env;
  #queue;
  #running = false;
  // What the last #schedule saw, so that a send need not query again: the alarm it left (null:
  // none, or not looked at yet by this instance) and the messages due then, plus those sent
  // since without a delay.
  #alarmAt = null;
  #due = 0;
  constructor(state, env, queue) {
    this.#storage = state.storage;
    this.#sql = state.storage.sql;
    this.#env = env;
    this.#queue = queue;
    this.#sql.exec(SCHEMA);
  }

  async qSend(messages) {
    const now = DateNow();
    let soonest = Infinity;
    this.#storage.transactionSync(() => {
      for (const m of messages) {
        const at = now + m.delaySeconds * 1000;
        this.#sql.exec("INSERT INTO messages (id, timestamp, visible_at, attempts, content_type, body) VALUES (?, ?, ?, 0, ?, ?)",
                       internal.require("crypto").crypto.randomUUID(), now, at, m.contentType, m.bytes);
        if (m.delaySeconds === 0) this.#due++;
        soonest = MathMin(soonest, at);
      }
    });
    if (this.#running) return;  // the delivery running schedules what is left when it ends
    // The alarm set stands while the batch is not full and these messages' window ends after it.
    const consumer = consumers.get(this.#queue);
    // (An alarm due already fires at the next look, 200 ms at most: nothing can come sooner. One
    // due for longer than a second is looked at again.)
    if (consumer !== undefined && this.#alarmAt !== null && this.#alarmAt > now - 1000 &&
        (this.#alarmAt <= now ||
         (this.#due < consumer.max_batch_size && this.#alarmAt <= soonest + consumer.max_batch_timeout * 1000))) {
      return;
    }
    await this.#schedule();
  }

  // The alarm at the next delivery: now if a batch is full, else when the oldest message due
  // has waited max_batch_timeout; none without a consumer (the messages wait for one). An
  // earlier alarm is kept, unless `own`: a delivery sets the alarm to what is left.
  async #schedule(own = false) {
    const consumer = consumers.get(this.#queue);
    if (consumer === undefined) return;
    const now = DateNow();
    // Both through the index: its first entry, and at most a batch of its entries.
    const { first } = this.#sql.exec("SELECT min(visible_at) AS first FROM messages").one();
    const { due } = this.#sql.exec("SELECT count(*) AS due FROM (SELECT 1 FROM messages WHERE visible_at <= ? LIMIT ?)",
                                   now, consumer.max_batch_size).one();
    this.#due = due;
    if (first === null) {
      this.#alarmAt = null;
      if (own) await this.#storage.deleteAlarm();
      return;
    }
    const when = due >= consumer.max_batch_size ? now : MathMax(now, first + consumer.max_batch_timeout * 1000);
    const current = await this.#storage.getAlarm();
    const pending = current !== null && current !== undefined;
    if (!own && pending && current <= when) {
      this.#alarmAt = current;
      return;
    }
    this.#alarmAt = when;
    await this.#storage.setAlarm(when);
  }

  async alarm() {
    try {
      await this.#deliver();
    } catch (e) {
      internal.reportError(e);
    }
  }

  async #deliver() {
    const consumer = consumers.get(this.#queue);
    if (consumer === undefined) return;
    const now = DateNow();
    // A delivery whose event was ended before it settled left its messages leased: that was an
    // attempt of theirs. Out of attempts, they are dead letters; the others come again.
    const left = this.#sql.exec("UPDATE messages SET leased = 0, attempts = attempts + 1 WHERE leased = 1 RETURNING seq").toArray();
    if (left.length > 0) {
      const exhausted = this.#sql.exec(`SELECT * FROM messages WHERE seq IN (${left.map((row) => row.seq).join(",")}) AND attempts > ?`,
                                       consumer.max_retries).toArray();
      if (exhausted.length > 0) await this.#deadLetter(consumer, exhausted);
    }
    const due = this.#sql.exec("SELECT * FROM messages WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
                               now, consumer.max_batch_size).toArray();
    if (due.length === 0) return this.#schedule(true);
    // Leased while the handler runs, and the alarm kept ahead: a batch whose event never ends is
    // delivered again, counted.
    const seqs = due.map((row) => row.seq);
    this.#sql.exec(`UPDATE messages SET leased = 1 WHERE seq IN (${seqs.join(",")})`);
    this.#alarmAt = now + REDELIVER_AFTER_MS;
    await this.#storage.setAlarm(this.#alarmAt);
    const outcome = new Outcome();
    let ok;
    this.#running = true;
    try {
      const messages = due.map((row) => new Message(kToken, row, decode(row), outcome));
      ok = await this.#runHandler(new MessageBatch(kToken, this.#queue, messages, outcome));
    } finally {
      this.#running = false;
    }
    await this.#settle(consumer, due, outcome, !ok);
    await this.#schedule(true);
  }

  // Calls the default export's queue(batch, env, ctx); whether it settled without throwing.
  async #runHandler(batch) {
    const waits = [];
    const ctx = { waitUntil(promise) { waits.push(promise); }, passThroughOnException() {} };
    let ok = true;
    try {
      const exported = internal.tenantExport("default");
      let result;
      if (exported !== null && typeof exported === "object" && typeof exported.queue === "function") {
        result = exported.queue(batch, this.#env, ctx);
      } else if (typeof exported === "function" && typeof exported.prototype?.queue === "function") {
        result = new exported(ctx, this.#env).queue(batch);
      } else {
        throw new $TypeError(`queue "${this.#queue}" has a consumer, but the default export has no queue(batch, env, ctx) method`);
      }
      await result;
    } catch (e) {
      ok = false;
      internal.reportError(e);
    }
    await PromiseAllSettled(waits);
    return ok;
  }

  // Acked messages go; retried ones come back after their delay, or past max_retries go to the
  // dead letter queue (or are dropped). Undecided: acked if the handler returned, retried if it
  // threw. A delivery counts as an attempt here (or, if its event was ended, at the next one).
  async #settle(consumer, due, outcome, failed) {
    const now = DateNow();
    const acked = [];
    const dead = [];
    this.#storage.transactionSync(() => {
      for (const row of due) {
        const what = outcome.decided.get(row.id) ?? (failed ? { delay: undefined } : { ack: true });
        if (what.ack) {
          acked.push(row.seq);
        } else if (row.attempts + 1 > consumer.max_retries) {
          dead.push(row);
        } else {
          this.#sql.exec("UPDATE messages SET leased = 0, attempts = attempts + 1, visible_at = ? WHERE seq = ?",
                         now + (what.delay ?? consumer.retry_delay) * 1000, row.seq);
        }
      }
      if (acked.length > 0) this.#sql.exec(`DELETE FROM messages WHERE seq IN (${acked.join(",")})`);
    });
    if (dead.length > 0) await this.#deadLetter(consumer, dead);
  }

  // Messages out of retries: sent on to the dead letter queue (new messages there), or dropped
  // with a log line; then deleted here.
  async #deadLetter(consumer, rows) {
    if (consumer.dead_letter_queue === "") {
      internal.reportError(new $Error(`queue "${this.#queue}": ${rows.length} message(s) dropped after ${consumer.max_retries} retries (no dead_letter_queue)`));
    } else {
      const messages = rows.map((row) => ({ bytes: row.body, size: 0, contentType: row.content_type, delaySeconds: 0 }));
      await stubOf(consumer.dead_letter_queue).call("qSend", [messages]);
    }
    this.#sql.exec(`DELETE FROM messages WHERE seq IN (${rows.map((row) => row.seq).join(",")})`);
  }
}

// durable_objects.js's class for a queue's engine name (its name, "-" as "$").
const engines = new $Map();
export function engineClass(name) {
  let Class = engines.get(name);
  if (Class === undefined) {
    const queue = name.replaceAll("$", "-");
    Class = class extends QueueEngine {
      constructor(state, env) { super(state, env, queue); }
    };
    engines.set(name, Class);
  }
  return Class;
}

export { Queue, Message, MessageBatch };
