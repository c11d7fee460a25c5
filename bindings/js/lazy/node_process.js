// node:process and the `process` global (nodejs_compat; https://nodejs.org/api/process.html):
// what a worker has of Node's process, as Workers: env (the tenant's text vars and secrets, see
// README "Workers compatibility"), nextTick (a microtask), version, platform, hrtime, cwd,
// emitWarning, and the EventEmitter methods. No exit, no stdin/stdout, no signals.
const EventEmitter = internal.require("node_events");

const process = new EventEmitter();

// internal.tenantEnv: the context's `env`, put there by Worker::NewContext when the flags say to
// populate process.env. Only string values (vars and secrets) are copied, as Workers does.
const env = {};
const tenantEnv = internal.tenantEnv;
if (tenantEnv !== undefined) {
  for (const key of Object.keys(tenantEnv)) {
    if (typeof tenantEnv[key] === "string") env[key] = tenantEnv[key];
  }
}

const resolved = Promise.resolve();
function nextTick(callback, ...args) {
  if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  resolved.then(() => callback(...args)).catch((e) => internal.reportError(e));
}

function hrtime(previous = undefined) {
  const now = Date.now();
  let seconds = Math.floor(now / 1000);
  let nanos = (now % 1000) * 1e6;
  if (previous !== undefined) {
    seconds -= previous[0];
    nanos -= previous[1];
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
  }
  return [seconds, nanos];
}
hrtime.bigint = () => BigInt(Date.now()) * 1000000n;

function emitWarning(warning, type = "Warning") {
  const text = typeof warning === "string" ? `${type}: ${warning}` : String(warning);
  if (!process.emit("warning", warning)) console.warn(text);
}

const started = Date.now();
Object.assign(process, {
  env,
  nextTick,
  hrtime,
  emitWarning,
  version: "v22.14.0",
  versions: { node: "22.14.0" },
  release: { name: "node" },
  platform: "linux",
  arch: "x64",
  title: "atoll",
  argv: [],
  argv0: "",
  execArgv: [],
  execPath: "",
  pid: 1,
  ppid: 0,
  exitCode: undefined,
  features: { inspector: false },
  config: {},
  browser: false,
  cwd: () => "/",
  chdir() {
    throw new Error("process.chdir() is not supported");
  },
  umask: () => 0o22,
  uptime: () => (Date.now() - started) / 1000,
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
                             { rss: () => 0 }),
  exit(code = 0) {
    throw new Error(`process.exit(${code}) is not supported in a worker`);
  },
  abort() {
    throw new Error("process.abort() is not supported in a worker");
  },
  // The module, as require() would return it, or undefined for a name that is not one of Node's
  // modules atoll has (build.mjs defines __atollNodeModules).
  getBuiltinModule(id) {
    const text = String(id);
    const name = text.startsWith("node:") ? text.slice(5) : text;
    if (!__atollNodeModules.includes(name)) return undefined;
    return internal.require(`node_${name.replaceAll("/", "_")}`);
  },
});

module.exports = process;
