# Peer: one workerd worker serving the JSON workload (json_worker.js + json_payload.js). run.sh
# overrides the socket address with --socket-addr http=127.0.0.1:PORT.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "json", worker = .jsonWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "json")],
);

const jsonWorker :Workerd.Worker = (
  modules = [
    (name = "json_worker.js", esModule = embed "json_worker.js"),
    (name = "json_payload.js", esModule = embed "json_payload.js"),
  ],
  compatibilityDate = "2025-01-01",
);
