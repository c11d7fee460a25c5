// Test handler: answers by path. Used by tests/http_test.cc.
import { pathOf } from "./lib/path.js";

let served = 0;

export default {
  async fetch(request, env, ctx) {
    served++;
    const path = pathOf(request.url);
    switch (path) {
      case "/echo": {
        const body = await request.text();
        return Response.json({
          method: request.method,
          url: request.url,
          body,
          bodyUsed: request.bodyUsed,
          ua: request.headers.get("user-agent"),
          custom: request.headers.get("x-custom"),
        });
      }
      case "/throw":
        throw new Error("handler exploded on purpose");
      case "/reject":
        return Promise.reject(new TypeError("rejected on purpose"));
      case "/nothing":
        return undefined;
      case "/sleep": {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return new Response("slept");
      }
      case "/log":
        console.log("hello from the handler", { n: 1 });
        return new Response("logged");
      case "/binary":
        return new Response(new Uint8Array([0, 1, 2, 255]));
      case "/big":
        return new Response("x".repeat(4 * 1024 * 1024));
      case "/nocontent":
        return new Response(null, { status: 204 });
      case "/headers":
        return new Response("h", { headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-multi", "1"], ["x-multi", "2"]] });
      case "/waituntil":
        ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log("waitUntil ran"); resolve(); }, 20)));
        return new Response("answered first");
      case "/orphan": {
        Promise.reject(new RangeError("nobody handles this"));
        const handledLater = Promise.reject(new Error("handled in time"));
        await null;
        handledLater.catch(() => {});
        return new Response("orphaned");
      }
      case "/count":
        return new Response(String(served));
      default:
        return new Response(`path ${path}`);
    }
  },
};
