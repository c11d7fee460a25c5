// WebSocket echo load: C connections to URL, each keeps W messages in flight (sends the next one
// as each echo arrives) for D seconds; prints messages/s echoed. Run with node
// --experimental-websocket (Node 20) or any Node with a global WebSocket. Loopback only.
//   node --experimental-websocket ws_load.mjs ws://127.0.0.1:PORT/ws CONNECTIONS SECONDS [WINDOW] [BYTES]
const [url, connections = "8", seconds = "5", window = "8", bytes = "32"] = process.argv.slice(2);
if (!/^wss?:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(url)) throw new Error("loopback URLs only");
const payload = "x".repeat(Number(bytes));
let echoed = 0;
let failed = 0;
let counting = false;
const sockets = [];
await Promise.all(Array.from({ length: Number(connections) }, () => new Promise((resolve) => {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.onopen = () => {
    for (let i = 0; i < Number(window); i++) ws.send(payload);
    resolve();
  };
  ws.onmessage = () => {
    if (counting) echoed++;
    if (ws.readyState === WebSocket.OPEN) ws.send(payload);
  };
  ws.onerror = () => {
    failed++;
    resolve();
  };
})));
await new Promise((r) => setTimeout(r, 1000));  // warm-up
counting = true;
const start = performance.now();
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
counting = false;
const elapsed = (performance.now() - start) / 1000;
for (const ws of sockets) ws.close();
console.log(JSON.stringify({ messages_per_s: Math.round(echoed / elapsed), failed_connections: failed }));
setTimeout(() => process.exit(0), 200);
