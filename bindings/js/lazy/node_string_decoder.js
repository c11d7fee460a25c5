// node:string_decoder (nodejs_compat; https://nodejs.org/api/string_decoder.html): the npm
// string_decoder 1.3.0 package (Node core's, for every engine): multi-byte characters split
// across chunks are held until complete.
module.exports = require("atoll-npm:string_decoder");
