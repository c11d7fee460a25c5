// Test handler for tests/streaming_test.cc: streamed responses and request bodies.
import { pathOf } from "./lib/path.js";

const encoder = (text) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let firehosePulled = 0;
let cancelled = 0;

export default {
  async fetch(request) {
    const path = pathOf(request.url);
    switch (path) {
      // 10 chunks, 100 ms apart.
      case "/ticks": {
        let i = 0;
        return new Response(new ReadableStream({
          async pull(controller) {
            if (i > 0) await sleep(100);
            controller.enqueue(encoder(`chunk-${i}\n`));
            if (++i === 10) controller.close();
          },
        }), { headers: { "content-type": "text/plain" } });
      }
      // As fast as the client reads, forever: how much was pulled shows the backpressure.
      case "/firehose": {
        const block = new Uint8Array(16384).fill(120);
        return new Response(new ReadableStream({
          pull(controller) {
            firehosePulled += block.byteLength;
            controller.enqueue(block.slice());
          },
          cancel() {
            cancelled++;
            console.log("firehose cancelled");
          },
        }, { highWaterMark: 0 }));
      }
      case "/pulled":
        return Response.json({ pulled: firehosePulled, cancelled });
      // A chunk every 10 ms until the client goes away.
      case "/forever": {
        return new Response(new ReadableStream({
          async pull(controller) {
            await sleep(10);
            controller.enqueue(encoder("tick\n"));
          },
          cancel(reason) {
            cancelled++;
            console.log(`forever cancelled: ${reason}`);
          },
        }));
      }
      // Counts the request body's bytes as they stream in.
      case "/count": {
        let bytes = 0;
        let chunks = 0;
        const reader = request.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          chunks++;
        }
        return Response.json({ bytes, chunks });
      }
      // The request body, streamed straight back.
      case "/echo":
        return new Response(request.body);
      case "/text":
        return new Response(await request.text());
      case "/length": {
        const body = ReadableStream.from([encoder("abc"), encoder("de")]);
        return new Response(body, { headers: { "content-length": "5" } });
      }
      case "/gzip":
        // Already gzip: "manual", or the server would code it again (Workers' encodeBody).
        return new Response(ReadableStream.from([encoder("hello world")]).pipeThrough(new CompressionStream("gzip")),
          { headers: { "content-encoding": "gzip" }, encodeBody: "manual" });
      case "/broken":
        return new Response(new ReadableStream({
          start(controller) {
            controller.enqueue(encoder("partial"));
          },
          async pull(controller) {
            await sleep(20);
            controller.error(new Error("source failed on purpose"));
          },
        }));
      case "/ignore-body":
        return new Response("ignored");
      default:
        return new Response(`path ${path}`);
    }
  },
};
