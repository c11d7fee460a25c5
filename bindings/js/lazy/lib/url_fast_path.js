// A fast path for whatwg-url's basic URL parser (https://url.spec.whatwg.org/#concept-basic-url-parser).
// whatwg-url's state machine takes ~15 µs for a plain `http://host/path?query`; most URLs a
// server parses are of that shape and already in canonical form, so a regular expression decides
// whether the input is one (special scheme, lower-case ASCII host that is not an IPv4 address in
// another notation and not punycode, a port without leading zeros, no userinfo, no dot segments,
// and only characters that no percent-encode set touches) and, if so, builds the URL record
// directly. Anything else — and every setter — goes through the state machine. The result is the
// same record the state machine makes; tests/wpt_test.cc runs the WPT data through both paths.

const DEFAULT_PORTS = { __proto__: null, http: 80, https: 443, ws: 80, wss: 443 };

// scheme://host[:port][/path][?query][#fragment]
//  path: 0x21-0x7E minus " # < > ? ` { } ^ \ (the path percent-encode set and the special "\")
//  query: 0x21-0x7E minus " # < > ' (the special-query percent-encode set)
//  fragment: 0x21-0x7E minus " < > ` (the fragment percent-encode set)
const SIMPLE = /^(https?|wss?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*\.?)(?::([1-9][0-9]{0,4}))?(\/[!$%&'()*+,\-./0-9:;=@A-Z\[\]_a-z|~]*)?(?:\?([!$%&()*+,\-./0-9:;=?@A-Z\[\\\]^_`a-z{|}~]*))?(?:#([!#$%&'()*+,\-./0-9:;=?@A-Z\[\\\]^_a-z{|}~]*))?$/;
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
// A last label that the host parser would read as a number (https://url.spec.whatwg.org/#ends-in-a-number-checker).
const ENDS_IN_NUMBER = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?$/;

// -> the URL record of `input`, or null when it is not of the simple shape.
export function fastParse(input) {
  const match = SIMPLE.exec(input);
  if (match === null) return null;
  const [, scheme, hostText, portText, pathText, query, fragment] = match;
  let host = hostText;
  if (ENDS_IN_NUMBER.test(host)) {
    const ipv4 = IPV4.exec(host);
    if (ipv4 === null) return null;
    let value = 0;
    for (let i = 1; i <= 4; i++) {
      const part = Number(ipv4[i]);
      if (part > 255) return null;
      value = value * 256 + part;
    }
    host = value;
  } else if (host.startsWith("xn--") || host.includes(".xn--") || host.includes("%")) {
    return null;
  }
  let port = null;
  if (portText !== undefined) {
    const number = Number(portText);
    if (number > 65535) return null;
    if (number !== DEFAULT_PORTS[scheme]) port = number;
  }
  const pathString = pathText === undefined ? "/" : pathText;
  if (DOT_SEGMENT.test(pathString)) return null;
  return {
    scheme,
    username: "",
    password: "",
    host,
    port,
    path: pathString.slice(1).split("/"),
    query: query === undefined ? null : query,
    fragment: fragment === undefined ? null : fragment,
  };
}

export function installFastPath(usm) {
  const slowParse = usm.basicURLParse;
  usm.basicURLParse = function basicURLParse(input, options) {
    if (options === undefined || (options.url === undefined && options.stateOverride === undefined)) {
      const record = fastParse(input);
      if (record !== null) return record;
    }
    return slowParse(input, options);
  };
  return slowParse;
}
