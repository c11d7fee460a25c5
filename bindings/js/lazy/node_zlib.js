// node:zlib (nodejs_compat; https://nodejs.org/api/zlib.html): browserify-zlib 0.2.0 (Node's
// zlib.js over pako 1.0's pure-JS port of zlib): gzip/gunzip, deflate/inflate (raw too), unzip,
// their *Sync forms, callbacks, streams (createGzip & co.) and constants. No brotli.
const zlib = require("atoll-npm:browserify-zlib");

// Node >= 7 groups the Z_* numbers under zlib.constants; this version has them on zlib only.
const constants = {};
for (const key of Object.keys(zlib)) if (key.startsWith("Z_")) constants[key] = zlib[key];
zlib.constants = constants;

module.exports = zlib;
