// node:url (nodejs_compat; https://nodejs.org/api/url.html): the WHATWG URL classes of atoll's url
// module, the file-URL and domain helpers, and the legacy parse/format/resolve of the npm `url`
// 0.11.4 package (Node core's url.js for every engine).
const legacy = require("atoll-npm:url");

const { URL, URLSearchParams } = internal.require("url");
const punycode = internal.require("node_punycode");

function fileURLToPath(input) {
  const url = typeof input === "string" ? new URL(input) : input;
  if (url.protocol !== "file:") throw new TypeError("The URL must be of scheme file");
  if (url.hostname !== "") throw new TypeError("File URL host must be \"localhost\" or empty on linux");
  if (/%2f/i.test(url.pathname)) throw new TypeError("File URL path must not include encoded / characters");
  return decodeURIComponent(url.pathname);
}

function pathToFileURL(path) {
  const url = new URL("file://");
  url.pathname = String(path).replace(/%/g, "%25").replace(/\?/g, "%3F").replace(/#/g, "%23");
  return url;
}

function format(input, options = undefined) {
  if (input instanceof URL) {
    const url = new URL(input.href);
    if (options?.fragment === false) url.hash = "";
    if (options?.search === false) url.search = "";
    if (options?.auth === false) {
      url.username = "";
      url.password = "";
    }
    return url.href;
  }
  return legacy.format(input);
}

module.exports = {
  URL,
  URLSearchParams,
  parse: legacy.parse,
  resolve: legacy.resolve,
  resolveObject: legacy.resolveObject,
  format,
  Url: legacy.Url,
  fileURLToPath,
  pathToFileURL,
  domainToASCII: (domain) => {
    try {
      return new URL(`ws://${domain}`).hostname;
    } catch {
      return "";
    }
  },
  domainToUnicode: (domain) => punycode.toUnicode(String(domain)),
};
