// node:dns (nodejs_compat; https://nodejs.org/api/dns.html), so that code that imports it loads
// (node-postgres does, for libpq connection strings). atoll resolves names where it connects:
// fetch(), connect() and node:net take a host name and the server resolves it behind the SSRF
// guard (server/ssrf_guard.h), so a tenant never needs an address. Here lookup() answers for an
// IP address (as Node does, without a query) and fails with ENOTSUP for a name; every other query
// fails with ENOTSUP too. Workers resolves names over DNS-over-HTTPS instead.
const { isIP } = internal.require("node_net_tls").net;

const $Error = Error;
const $Promise = Promise;

function notSupported(syscall, hostname) {
  const error = new $Error(
    `${syscall} ${hostname}: atoll's node:dns does not resolve names (connect(), node:net and fetch() take the name and resolve it)`);
  error.code = "ENOTSUP";
  error.errno = -95;
  error.syscall = syscall;
  error.hostname = hostname;
  return error;
}

// lookup(hostname[, options], callback): (err, address, family), or (err, [{address, family}]) with `all`.
function lookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  if (typeof callback !== "function") throw new TypeError('The "callback" argument must be of type function');
  const all = options !== null && typeof options === "object" && options.all === true;
  const name = `${hostname}`;
  const family = isIP(name);
  queueMicrotask(() => {
    if (family === 0) callback(notSupported("getaddrinfo", name));
    else if (all) callback(null, [{ address: name, family }]);
    else callback(null, name, family);
  });
  return {};
}

function refuse(syscall) {
  return (hostname, ...rest) => {
    const callback = rest[rest.length - 1];
    const error = notSupported(syscall, `${hostname}`);
    if (typeof callback === "function") queueMicrotask(() => callback(error));
    else throw error;
    return {};
  };
}

const QUERIES = ["resolve", "resolve4", "resolve6", "resolveAny", "resolveCaa", "resolveCname", "resolveMx",
  "resolveNaptr", "resolveNs", "resolvePtr", "resolveSoa", "resolveSrv", "resolveTxt", "reverse", "lookupService"];

class Resolver {
  cancel() {}
  getServers() {
    return [];
  }
  setServers() {}
  setLocalAddress() {}
}

// dns.promises.Resolver: the same queries, as promises.
class PromisesResolver extends Resolver {}

const promises = {
  lookup(hostname, options = {}) {
    return new $Promise((resolve, reject) => {
      lookup(hostname, options, (error, address, family) => (error ? reject(error) : resolve(options.all ? address : { address, family })));
    });
  },
  Resolver: PromisesResolver,
};

const dns = {
  lookup, Resolver, promises, getServers: () => [], setServers() {}, setDefaultResultOrder() {},
  getDefaultResultOrder: () => "verbatim",
  ADDRCONFIG: 1024, V4MAPPED: 2048, ALL: 256,
  NODATA: "ENODATA", FORMERR: "EFORMERR", SERVFAIL: "ESERVFAIL", NOTFOUND: "ENOTFOUND", NOTIMP: "ENOTIMP",
  REFUSED: "EREFUSED", BADQUERY: "EBADQUERY", BADNAME: "EBADNAME", BADFAMILY: "EBADFAMILY", BADRESP: "EBADRESP",
  CONNREFUSED: "ECONNREFUSED", TIMEOUT: "ETIMEOUT", EOF: "EOF", FILE: "EFILE", NOMEM: "ENOMEM",
  DESTRUCTION: "EDESTRUCTION", BADSTR: "EBADSTR", BADFLAGS: "EBADFLAGS", NONAME: "ENONAME", BADHINTS: "EBADHINTS",
  NOTINITIALIZED: "ENOTINITIALIZED", LOADIPHLPAPI: "ELOADIPHLPAPI", ADDRGETNETWORKPARAMS: "EADDRGETNETWORKPARAMS",
  CANCELLED: "ECANCELLED",
};
for (const name of QUERIES) {
  dns[name] = refuse(name === "reverse" ? "getHostByAddr" : `query${name.slice(7)}`);
  promises[name] = (...args) => new $Promise((resolve, reject) => dns[name](...args, (e, v) => (e ? reject(e) : resolve(v))));
  Resolver.prototype[name] = dns[name];
  PromisesResolver.prototype[name] = promises[name];
}

module.exports = dns;
