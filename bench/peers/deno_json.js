// Peer: the JSON workload on Deno.serve. Usage: deno run --allow-net=127.0.0.1 deno_json.js PORT.
import worker from "./json_worker.js";

const port = Number(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request) => worker.fetch(request));
