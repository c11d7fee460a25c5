// Peer: the JSON workload on Node's built-in HTTP server. Usage: node node_json.mjs PORT.
import http from "node:http";
import { payload } from "./json_payload.js";

const port = Number(process.argv[2]);
http
  .createServer((req, res) => {
    const body = payload(new URL(req.url, `http://${req.headers.host}`), req.headers["x-request-id"] ?? null);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(port, "127.0.0.1");
