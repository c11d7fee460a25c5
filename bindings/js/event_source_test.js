// EventSource: the event-stream parser and the object's shape, through EventSource.from() on a
// stream the test makes (no network). The network path (a real text/event-stream over fetch,
// reconnection with Last-Event-ID) is in tests/event_source_test.cc.
import { test, assert, run } from "./testing/harness.js";

function streamOf(...chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

// Collects every event until the source reports its end (error), in order.
function collect(source, types = ["message"]) {
  return new Promise((resolve) => {
    const seen = [];
    for (const type of types) {
      source.addEventListener(type, (e) => seen.push({ type: e.type, data: e.data, lastEventId: e.lastEventId }));
    }
    source.addEventListener("open", () => seen.push({ type: "open" }));
    source.onerror = () => resolve(seen);
  });
}

test("shape", () => {
  assert.equal(typeof EventSource, "function");
  assert.equal(EventSource.CONNECTING, 0);
  assert.equal(EventSource.OPEN, 1);
  assert.equal(EventSource.CLOSED, 2);
  assert.equal(EventSource.prototype.CLOSED, 2);
  assert.ok(EventSource.prototype instanceof EventTarget);
  assert.equal(Object.prototype.toString.call(EventSource.from(streamOf())), "[object EventSource]");
  assert.throws(() => new EventSource(), TypeError);
  assert.throws(() => new EventSource("http://[bad"), DOMException);
  assert.throws(() => EventSource.from("not a stream"), TypeError);
});

test("fields, multi-line data, comments, ids and event types", async () => {
  const source = EventSource.from(streamOf(
    ": a comment\n",
    "data: one\n\n",
    "data: two\ndata:  lines\n\n",
    "event: custom\ndata: {\"x\":1}\nid: 7\n\n",
    "id: 8\ndata: after id\n\n",
    "data\n\n",
    "event: ignored-without-data\n\n",
    "data: last"));  // no blank line: discarded at the end
  const seen = await collect(source, ["message", "custom"]);
  assert.deepEqual(seen, [
    { type: "open" },
    { type: "message", data: "one", lastEventId: "" },
    { type: "message", data: "two\n lines", lastEventId: "" },
    { type: "custom", data: "{\"x\":1}", lastEventId: "7" },
    { type: "message", data: "after id", lastEventId: "8" },
    { type: "message", data: "", lastEventId: "8" },
  ]);
  assert.equal(source.readyState, EventSource.CLOSED);
});

test("CR, LF and CRLF line ends, split anywhere, and UTF-8 split across chunks", async () => {
  const bytes = new TextEncoder().encode("data: é€\r\n\r\n");
  const source = EventSource.from(streamOf(
    "\uFEFFdata: a\r", "\ndata: b\r\r",
    "data: c\n", "\n",
    bytes.slice(0, 7), bytes.slice(7)));
  const seen = await collect(source);
  assert.deepEqual(seen.slice(1).map((e) => e.data), ["a\nb", "c", "é€"]);
});

test("onmessage, close() stops delivery", async () => {
  const source = EventSource.from(streamOf("data: 1\n\n", "data: 2\n\n"));
  const got = [];
  await new Promise((resolve) => {
    source.onmessage = (e) => {
      got.push(e.data);
      source.close();
      resolve();
    };
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(got, ["1"]);
  assert.equal(source.readyState, EventSource.CLOSED);
  assert.equal(source.onmessage !== null, true);
});

test("a refused URL (the SSRF guard) reports an error and retries later", async () => {
  const source = new EventSource("http://127.0.0.1:1/events");
  assert.equal(source.readyState, EventSource.CONNECTING);
  assert.equal(source.url, "http://127.0.0.1:1/events");
  await new Promise((resolve) => { source.onerror = resolve; });
  assert.equal(source.readyState, EventSource.CONNECTING, "reconnects after the retry delay");
  source.close();
  assert.equal(source.readyState, EventSource.CLOSED);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
