# Peer: one workerd worker serving workerd_hello.js. run.sh overrides the socket address with
#   workerd serve workerd.capnp --socket-addr http=127.0.0.1:PORT
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "hello", worker = .helloWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "hello")],
);

const helloWorker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "workerd_hello.js")],
  compatibilityDate = "2025-01-01",
);
