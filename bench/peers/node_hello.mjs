// Peer: Node's built-in HTTP server. Usage: node node_hello.mjs PORT (binds 127.0.0.1 only).
import http from "node:http";

const port = Number(process.argv[2]);
const body = "Hello from atoll!\n";
http
  .createServer((req, res) => {
    res.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  })
  .listen(port, "127.0.0.1");
