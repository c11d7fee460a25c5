// node:net (nodejs_compat; https://nodejs.org/api/net.html): net.Socket, connect(),
// createConnection(), isIP/isIPv4/isIPv6 over cloudflare:sockets (node_net_tls.js); no servers.
module.exports = internal.require("node_net_tls").net;
