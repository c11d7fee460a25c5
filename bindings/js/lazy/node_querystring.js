// node:querystring (nodejs_compat; https://nodejs.org/api/querystring.html): querystring-es3 0.2.1
// (Node's module for every engine), with escape/unescape as Node's.
const npm = require("atoll-npm:querystring-es3");

module.exports = {
  ...npm,
  escape: (text) => encodeURIComponent(text),
  unescape: (text) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return unescape(text);
    }
  },
};
