// node:tls (nodejs_compat; https://nodejs.org/api/tls.html): tls.connect() (TLS from the start,
// or over a connected net.Socket), TLSSocket, createSecureContext over cloudflare:sockets
// (node_net_tls.js); the system's CA store; no servers.
module.exports = internal.require("node_net_tls").tls;
