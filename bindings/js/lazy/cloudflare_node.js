// cloudflare:node (nodejs_compat; https://developers.cloudflare.com/workers/runtime-apis/nodejs/http/):
// httpServerHandler and handleAsNodeRequest, which serve a module Worker's requests with a
// node:http Server (js/lazy/node_http_server.js).
module.exports = internal.require("node_http_server").cloudflareNode;
