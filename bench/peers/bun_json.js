// Peer: the JSON workload on Bun.serve. Usage: bun bun_json.js PORT.
import worker from "./json_worker.js";

const port = Number(process.argv[2]);
Bun.serve({ hostname: "127.0.0.1", port, fetch: (request) => worker.fetch(request) });
