// node:zlib (nodejs_compat; https://nodejs.org/api/zlib.html): browserify-zlib 0.2.0 (Node's
// zlib.js over pako 1.0's pure-JS port of zlib): gzip/gunzip, deflate/inflate (raw too), unzip,
// their *Sync forms, callbacks, streams (createGzip & co.) and constants. No brotli.
module.exports = require("atoll-npm:browserify-zlib");
