// node:stream (nodejs_compat; https://nodejs.org/api/stream.html): readable-stream 4.7.0, the
// Node.js project's own user-land copy of Node's streams (Readable, Writable, Duplex, Transform,
// PassThrough, pipeline, finished, Readable.from, promises).
module.exports = require("atoll-npm:readable-stream/lib/ours/browser.js");
