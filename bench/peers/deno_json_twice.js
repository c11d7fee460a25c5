// Peer: json_worker_twice.js on Deno.serve (bench/instructions.sh deno-json-twice).
import worker from "./json_worker_twice.js";

const port = Number(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request) => worker.fetch(request));
