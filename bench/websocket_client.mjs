// WebSocket echo load (bench/websocket.sh): CONNS connections to ws://127.0.0.1:PORT/, each
// keeping INFLIGHT text messages of SIZE bytes in flight, for SECONDS after a 1 s warm-up; prints
// {"messages": N, "seconds": S, "per_second": R}. Hand-rolled RFC 6455 client framing on node's net
// (no npm dependency; node 20 has no WebSocket client). Loopback only, bounded in time.
import net from "node:net";
import crypto from "node:crypto";

const [port, conns = "10", inflight = "10", size = "32", seconds = "5"] = process.argv.slice(2);
const payload = Buffer.alloc(Number(size), "x");

function frame(data) {  // a masked text frame (payload < 65536)
  const mask = crypto.randomBytes(4);
  const len = data.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}
const message = frame(payload);

let counting = false;
let count = 0;
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    socket.setNoDelay(true);
    let upgraded = false;
    let buffer = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(`GET / HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                   `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\n\r\n`);
    });
    socket.on("data", (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!buffer.subarray(0, 12).toString().includes("101")) return reject(new Error(buffer.toString()));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        for (let i = 0; i < Number(inflight); i++) socket.write(message);
        sockets.push(socket);
        resolve();
      }
      // Server frames are unmasked; count whole frames and send one for each.
      let sent = 0;
      for (;;) {
        if (buffer.length < 2) break;
        let len = buffer[1] & 127;
        let offset = 2;
        if (len === 126) {
          if (buffer.length < 4) break;
          len = buffer.readUInt16BE(2);
          offset = 4;
        }
        if (buffer.length < offset + len) break;
        buffer = buffer.subarray(offset + len);
        if (counting) count++;
        sent++;
      }
      if (sent > 0) socket.write(sent === 1 ? message : Buffer.concat(Array(sent).fill(message)));
    });
  });
}

await Promise.all(Array.from({ length: Number(conns) }, open));
await new Promise((r) => setTimeout(r, 1000));
counting = true;
const start = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
counting = false;
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ messages: count, seconds: elapsed, per_second: Math.round(count / elapsed) }));
for (const s of sockets) s.destroy();
process.exit(0);
