// node:path (nodejs_compat; https://nodejs.org/api/path.html): path-browserify 1.0.1, Node's POSIX
// path module (join, resolve, relative, parse, format...); win32 is not provided (Workers: POSIX).
module.exports = require("atoll-npm:path-browserify");
