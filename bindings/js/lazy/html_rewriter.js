// Cloudflare Workers' HTMLRewriter (https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/)
// over lol-html compiled to Wasm (npm html-rewriter-wasm, pinned; its glue adapted in build.mjs to
// take the process's shared compiled module from native.htmlRewriterModule(), bindings/html_rewriter.h).
// transform(response) streams: the body is read one chunk at a time, only when the reader of the
// result asks for more (backpressure), and what lol-html emits for that chunk is enqueued as it
// comes; a document is never held whole. Handlers may be async: lol-html waits for their promise
// (asyncify) before it goes on.
import { HTMLRewriter as LolRewriter } from "html-rewriter-wasm";

const { ReadableStream } = internal.require("streams");
const { Response: $Response, isResponse, isArrayBuffer, exposeInterface } = internal;
const $TypeError = TypeError;
const $Uint8Array = Uint8Array;
const ArrayBufferIsView = ArrayBuffer.isView;

// A body chunk as a Uint8Array (a tenant's stream may give any BufferSource).
function bytesOf(chunk) {
  if (chunk instanceof $Uint8Array) return chunk;
  if (ArrayBufferIsView(chunk)) return new $Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (isArrayBuffer(chunk)) return new $Uint8Array(chunk);
  throw new $TypeError("HTMLRewriter: the body's chunks must be ArrayBuffer or ArrayBufferView");
}

function checkHandlers(handlers, what) {
  if (handlers === null || (typeof handlers !== "object" && typeof handlers !== "function")) {
    throw new $TypeError(`HTMLRewriter.${what}: the handlers must be an object`);
  }
}

class HTMLRewriter {
  // [selector, handlers] in registration order; selector null: onDocument.
  #handlers = [];

  on(selector, handlers) {
    if (arguments.length < 2) throw new $TypeError("HTMLRewriter.on: 2 arguments required");
    checkHandlers(handlers, "on");
    this.#handlers.push([`${selector}`, handlers]);
    return this;
  }

  onDocument(handlers) {
    checkHandlers(handlers, "onDocument");
    this.#handlers.push([null, handlers]);
    return this;
  }

  transform(response) {
    if (!isResponse(response)) throw new $TypeError("HTMLRewriter.transform: the argument must be a Response");
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    const body = response.body;
    if (body === null) return new $Response(null, init);
    let controller = null;
    // What lol-html emitted for the current input chunk: it emits a piece at every token boundary
    // a handler touched (a few bytes each), so the pieces go out as one chunk per input chunk
    // (each HTTP chunk and stream chunk has a cost of its own). Bounded by what one input chunk
    // makes.
    let pieces = [], pending = 0;
    const flush = () => {
      if (done) pieces = [], pending = 0;  // cancelled: nobody reads it
      if (pending === 0) return;
      let chunk = pieces[0];
      if (pieces.length > 1) {
        chunk = new $Uint8Array(pending);
        let at = 0;
        for (let i = 0; i < pieces.length; i++) {
          chunk.set(pieces[i], at);
          at += pieces[i].length;
        }
      }
      pieces = [];
      pending = 0;
      controller.enqueue(chunk);
    };
    // One lol-html rewriter per transform, its handlers registered now: a bad selector throws here.
    let rewriter = new LolRewriter((chunk) => {
      if (chunk.length === 0) return;
      pieces.push(chunk);
      pending += chunk.length;
      if (pending >= 65536) flush();
    });
    try {
      for (const [selector, handlers] of this.#handlers) {
        if (selector === null) rewriter.onDocument(handlers);
        else rewriter.on(selector, handlers);
      }
    } catch (error) {
      rewriter.free();
      throw error;
    }
    if (body.locked) {
      rewriter.free();
      throw new $TypeError("HTMLRewriter.transform: the response's body is locked or already read");
    }
    const reader = body.getReader();
    // lol-html's state is freed once, and never while a write or end is running (a cancel
    // may arrive while an async handler is pending).
    let busy = false, done = false;
    const free = () => {
      done = true;
      if (!busy && rewriter !== null) {
        rewriter.free();
        rewriter = null;
      }
    };
    const out = new ReadableStream({
      start(c) {
        controller = c;
      },
      // One input chunk per pull; pull runs again while the reader still wants bytes.
      async pull() {
        busy = true;
        try {
          const { done: ended, value } = await reader.read();
          if (done) return;
          if (ended) {
            await rewriter.end();
            busy = false;
            flush();
            free();
            controller.close();
            return;
          }
          await rewriter.write(bytesOf(value));
          flush();
        } catch (error) {
          busy = false;
          free();
          reader.cancel(error).catch(() => {});
          throw error;
        } finally {
          busy = false;
          if (done) free();
        }
      },
      cancel(reason) {
        free();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    const result = new $Response(out, init);
    result.headers.delete("content-length");
    return result;
  }
}

exposeInterface(HTMLRewriter, "HTMLRewriter", false);

export { HTMLRewriter };
