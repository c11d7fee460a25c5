// The Durable Object and WebSocket benchmark worker (bench/services.sh), the same file for atoll
// and workerd: GET /counter increments one counter object's stored count and answers it;
// GET /ws is a WebSocket that echoes every message.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async fetch() {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return new Response(String(n));
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (event) => server.send(event.data));
      return new Response(null, { status: 101, webSocket: client });
    }
    return env.COUNTER.get(env.COUNTER.idFromName("bench")).fetch(request);
  },
};
