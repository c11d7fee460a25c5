// A chat room per name: a Durable Object (one instance per room, wherever the request lands)
// holds the room's WebSockets and its history in SQLite; every message is numbered by the room
// and written before it is broadcast, so every member sees every message once, in one order.
//   GET /                  a tiny HTML client
//   GET /room/NAME         WebSocket upgrade: join room NAME; send text, receive JSON
//                          {seq, name, text} for every message of the room
//   GET /room/NAME/history the last 50 messages as JSON
import { DurableObject } from "cloudflare:workers";

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL)");
    this.seq = ctx.storage.sql.exec("SELECT COALESCE(MAX(seq), 0) AS seq FROM messages").one().seq;
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/history")) {
      const rows = this.ctx.storage.sql
        .exec("SELECT seq, name, text FROM messages ORDER BY seq DESC LIMIT 50").toArray();
      return Response.json(rows.reverse());
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade\n", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair());
    // The hibernation API: the runtime holds the socket, so an idle room leaves memory while
    // its members stay connected; the member's name rides along as the socket's attachment.
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ name: url.searchParams.get("name") ?? "anonymous" });
    return new Response(null, { status: 101, webSocket: client });
  }

  // Numbered and stored first (the storage write completes before anything else the object
  // sends), then sent to every member, the sender included.
  webSocketMessage(from, message) {
    const seq = ++this.seq;
    const name = from.deserializeAttachment()?.name ?? "anonymous";
    const text = typeof message === "string" ? message : new TextDecoder().decode(message);
    this.ctx.storage.sql.exec("INSERT INTO messages (seq, name, text) VALUES (?, ?, ?)", seq, name, text);
    const post = JSON.stringify({ seq, name, text });
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(post);
      } catch {
        // closing: its webSocketClose follows
      }
    }
  }

  webSocketClose(socket, code, reason) {}
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>atoll chat</title>
<input id="room" value="lobby"> <input id="name" value="me"> <button id="join">join</button>
<pre id="log"></pre><input id="text" size="60" disabled>
<script>
let ws;
join.onclick = () => {
  ws?.close();
  const url = new URL("/room/" + encodeURIComponent(room.value) + "?name=" + encodeURIComponent(name.value), location.href);
  url.protocol = url.protocol.replace("http", "ws");
  ws = new WebSocket(url);
  ws.onopen = () => { text.disabled = false; };
  ws.onmessage = (e) => { const m = JSON.parse(e.data); log.textContent += m.seq + " " + m.name + ": " + m.text + "\\n"; };
};
text.onkeydown = (e) => { if (e.key === "Enter" && text.value) { ws.send(text.value); text.value = ""; } };
</script>`;

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const room = url.pathname.match(/^\/room\/([^/]+)/);
    if (room === null) return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    return env.ROOMS.get(env.ROOMS.idFromName(decodeURIComponent(room[1]))).fetch(request);
  },
};
