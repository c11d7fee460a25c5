// Bundles each lazily loaded built-in (bindings/js/lazy/<module>.js) with esbuild and writes one
// C++ file holding them, looked up by module name (bindings/lazy_modules.cc).
// Usage: node build.mjs OUTPUT.cc MODULE...    Run by CMake at build time; needs `npm ci`.
import { build } from "esbuild";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { hardenSource } from "./harden.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [output, ...modules] = process.argv.slice(2);

// npm packages whose dependencies atoll replaces or wraps (none at the moment).
const shims = {};
// Data files of npm packages that their "exports" do not list: the Encoding standard's labels and
// single-byte indexes, from @exodus/bytes (whose decoders atoll does not use: they reach for the
// TextDecoder global).
const dataFiles = {
  "atoll-data:encoding-labels": "@exodus/bytes/fallback/encoding.labels.js",
  "atoll-data:single-byte-indexes": "@exodus/bytes/fallback/single-byte.encodings.js",
};
// Node's modules that have no file here (nodejs_compat, builtin_modules.cc), each a lazy module
// node_<name with "/" as "_"> generated from one line: a member of another module, or unenv's
// polyfill as it is (https://github.com/unjs/unenv, pinned in package.json: what wrangler bundles
// for the modules workerd does not implement; its methods that cannot work in a Worker throw
// Node's ERR_METHOD_NOT_IMPLEMENTED, patched below).
const member = (module, key) => `module.exports = internal.require(${JSON.stringify(module)})${key ? `.${key}` : ""};`;
const unenv = (name) => `module.exports = require("./lib/esm_exports.js").esmExports(require("atoll-npm:unenv/node/${name}"));`;
const generatedNodeModules = {
  "_stream_duplex": member("node_stream", "Duplex"),
  "_stream_passthrough": member("node_stream", "PassThrough"),
  "_stream_readable": member("node_stream", "Readable"),
  "_stream_transform": member("node_stream", "Transform"),
  "_stream_writable": member("node_stream", "Writable"),
  "_tls_common": member("node_net_tls", "tlsCommon"),
  "_tls_wrap": member("node_net_tls", "tlsWrap"),
  "dns/promises": member("node_dns", "promises"),
  "http": member("node_http_server", "http"),
  "https": member("node_http_server", "https"),
  "_http_agent": member("node_http_server", "agent"),
  "_http_client": member("node_http_server", "client"),
  "_http_common": member("node_http_internals", "common"),
  "_http_incoming": member("node_http_server", "incoming"),
  "_http_outgoing": member("node_http_server", "outgoing"),
  "_http_server": member("node_http_server", "server"),
  "sys": member("node_util"),
  "util/types": member("node_util", "types"),
  "child_process": unenv("child_process"),
  "cluster": unenv("cluster"),
  "constants": unenv("constants"),
  "dgram": unenv("dgram"),
  "domain": unenv("domain"),
  "http2": unenv("http2"),
  "inspector": unenv("inspector"),
  "inspector/promises": unenv("inspector/promises"),
  "readline": unenv("readline"),
  "readline/promises": unenv("readline/promises"),
  "repl": unenv("repl"),
  "sqlite": unenv("sqlite"),
  "trace_events": unenv("trace_events"),
  "tty": unenv("tty"),
  "v8": unenv("v8"),
  "vm": unenv("vm"),
  "wasi": unenv("wasi"),
  "worker_threads": unenv("worker_threads"),
  // Node's JSStreamSocket (a socket over a stream): nothing a Worker can construct.
  "_stream_wrap": "const { createNotImplementedError } = require(\"atoll-npm:unenv/_internal/utils\");\n" +
    "module.exports = class JSStreamSocket { constructor() { throw createNotImplementedError(\"_stream_wrap\"); } };",
};
const lazyNameOf = (nodeName) => `node_${nodeName.replaceAll("/", "_")}`;
for (const name of Object.keys(generatedNodeModules)) modules.push(lazyNameOf(name));

// Node's built-in modules (nodejs_compat): builtin_modules.cc's table is the one list, read
// here from its ATL_NODE_MODULE("name", "lazy module") lines. npm code bundled into one of them
// that imports another ("buffer", "node:events", "process/") gets that module's instance through
// internal.require, so that every module of a context shares one Buffer class, one process and
// one EventEmitter; an entry reaches its own npm package as "atoll-npm:<package>".
const nodeModules = Object.fromEntries(
  [...readFileSync(join(here, "../../builtin_modules.cc"), "utf8").matchAll(/ATL_NODE_MODULE\("([^"]+)", "([^"]+)"\)/g)]
    .map((m) => [m[1], m[2]]));
if (Object.keys(nodeModules).length === 0) throw new Error("builtin_modules.cc: no ATL_NODE_MODULE lines");
for (const name of Object.keys(generatedNodeModules)) {
  if (nodeModules[name] !== lazyNameOf(name)) throw new Error(`build.mjs generates ${name}, which builtin_modules.cc does not list as ${lazyNameOf(name)}`);
}
// npm packages that bundled npm code imports, answered by atoll's modules.
const npmAliases = {
  // The npm `url` package parses query strings with qs; Node's url.parse uses querystring.
  "qs": "node_querystring",
  // readable-stream's AbortController fallback: the events module's (a tenant may replace the globals).
  "abort-controller": "events",
};
function nodeModuleOf(path) {
  const name = path.replace(/^node:/, "").replace(/\/$/, "");
  return nodeModules[name] ?? npmAliases[name];
}

const shimPlugin = {
  name: "atoll-shims",
  setup(b) {
    const building = b.initialOptions.entryPoints?.[0] ?? b.initialOptions.stdin.sourcefile;
    const isNode = /[\\/]node_[a-z0-9_]+\.js$/.test(building);
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.importer.includes("browserify-zlib") && (args.path === "assert" || args.path === "util")) {
        return { path: join(here, "shims/zlib_deps.cjs") };
      }
      const node = isNode ? nodeModuleOf(args.path) : undefined;
      if (node !== undefined && !building.endsWith(`/${node}.js`)) return { path: node, namespace: "atoll-node" };
      if (shims[args.path]) return { path: join(here, shims[args.path]) };
      // A shim reaches the package it wraps as "atoll-npm:<package>".
      if (args.path.startsWith("atoll-npm:")) {
        // "buffer/", not "buffer": Node's resolver would answer with its own built-in.
        const name = args.path.slice("atoll-npm:".length);
        return { path: createRequire(join(here, "build.mjs")).resolve(name.includes("/") ? name : `${name}/`) };
      }
      if (dataFiles[args.path]) return { path: join(here, "../../../node_modules", dataFiles[args.path]) };
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "atoll-node" }, (args) => ({
      contents: `module.exports = internal.require(${JSON.stringify(args.path)});`, loader: "js",
    }));
    // Source edits of pinned npm files (`patches` below); each must match, or the build fails.
    b.onLoad({ filter: /node_modules[\\/](web-streams-polyfill|buffer|html-rewriter-wasm|unenv)[\\/]/ }, (args) => {
      const file = Object.keys(patches).find((suffix) => args.path.replaceAll("\\", "/").endsWith(suffix));
      if (file === undefined) return undefined;
      let text = readFileSync(args.path, "utf8");
      for (const [from, to] of patches[file]) {
        if (!text.includes(from)) throw new Error(`${file}: patch target not found: ${from}`);
        text = text.split(from).join(to);
      }
      return { contents: text, loader: "js" };
    });
  },
};

// Per-module esbuild options. urlpattern-polyfill calls the URL global: it gets atoll's own
// URL class instead, which a tenant cannot have replaced.
const moduleOptions = {
  // Written against internal.primordials (CommonJS, no esbuild helpers: keepNames' __name would
  // call Object.defineProperty), so that hardening leaves it as it is and it loads no safe calls.
  url: { keepNames: false },
  encoding: { keepNames: false },
  dom_exception: { keepNames: false },
  navigator: { keepNames: false },
  crypto: { keepNames: false },
  cache: { keepNames: false },
  scope: { keepNames: false },
  events: { keepNames: false },
  // The polyfill's dist is minified (its functions are named Nt, Qt, ...) and names what it
  // exports itself: esbuild's keepNames would add 281 Object.defineProperty(fn, "name") calls to
  // every context's first stream (~0.5 ms). build.mjs checks that no exported class was renamed.
  streams: { keepNames: false },
  // Without keepNames' __name(fn, "name") (an Object.defineProperty) for each closure a call
  // makes: node:http made 4 per request (3% of one), fetch() 3.
  node_http_internals: { keepNames: false },
  node_http_server: { keepNames: false },
  fetch: { keepNames: false },
  urlpattern: {
    define: { URL: "__atollURL" },
    banner: { js: "var __atollURL = internal.require(\"url\").URL;" },
  },
};

// npm code written for Node reads the free globals `process`, `Buffer` and `global`: in a node_*
// module they are the context's node:process and node:buffer (not globals a tenant may have
// replaced), loaded on first use: node:process needs node:events, whose npm code never reads
// `process`, so an eager load would go round in circles.
// node:module's builtinModules and process.getBuiltinModule (__atollNodeModules): builtin_modules.cc's names.
const nodeGlobalsOptions = {
  define: {
    process: "__atollNode.process", Buffer: "__atollNode.Buffer", global: "globalThis",
    __atollNodeModules: JSON.stringify(Object.keys(nodeModules).sort()),
  },
  banner: {
    js: "var __atollNode={get process(){return internal.require(\"node_process\")}," +
        "get Buffer(){return internal.require(\"node_buffer\").Buffer}};",
  },
};

// web-streams-polyfill looks a few built-ins up on the global object when first used, after
// tenant code may have replaced them: it gets atoll's own instead.
const ponyfillPatches = [
  // The global object, read for DOMException: atoll's DOMException module instead.
  ['const dr="undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:"undefined"!=typeof global?global:void 0;',
   'const dr={DOMException:internal.require("dom_exception").DOMException};'],
  // queueMicrotask (a global a tenant may replace): a resolved promise's then, as the
  // polyfill does where queueMicrotask is missing.
  ['if("function"==typeof queueMicrotask)y=queueMicrotask;else{', 'if(!1);else{'],
  // TransferArrayBuffer: V8 10.2 has neither ArrayBuffer.prototype.transfer nor structuredClone
  // (the polyfill would then hand out the same buffer without detaching it).
  ['ce=e=>(ce="function"==typeof e.transfer?e=>e.transfer():"function"==typeof structuredClone?e=>structuredClone(e,{transfer:[e]}):e=>e,ce(e))',
   'ce=e=>native.transferArrayBuffer(e)'],
  // ReadableStreamTee's cloneForBranch2 for default (non-byte) streams, which the polyfill leaves
  // out: internal.teeCloning(stream, clone) tees with branch 2's chunks made by clone(chunk) as
  // they are read from the source (https://streams.spec.whatwg.org/#abstract-opdef-readablestreamdefaulttee),
  // what Fetch's body clone() asks for. A chunk clone() throws for errors both branches and
  // cancels the source. Byte streams are teed as the public tee() does (their chunks are copied).
  ['}(e):function(e){const t=V(e);let r,o,n,i,a,s=!1,l=!1,d=!1,f=!1;',
   '}(e,t):function(e,W){const X=e,t=V(e);let r,o,n,i,a,s=!1,l=!1,d=!1,f=!1;'],
  ['_chunkSteps:e=>{y(()=>{l=!1;const t=e,r=e;d||Rr(n._readableStreamController,t),f||Rr(i._readableStreamController,r),s=!1,l&&b()})}',
   '_chunkSteps:e=>{y(()=>{l=!1;const t=e;let r=e;if(!f&&W)try{r=W(e)}catch(e){Tr(n._readableStreamController,e),Tr(i._readableStreamController,e),a(Mr(X,e));return}d||Rr(n._readableStreamController,t),f||Rr(i._readableStreamController,r),s=!1,l&&b()})}'],
  ['[n,i]}(e)}function Or(r)', '[n,i]}(e,t)}internal.teeCloning=(e,t)=>Wr(e,t);function Or(r)'],
  // The members of an underlying source, sink or transformer (start, pull, write, transform,
  // flush, close, abort, cancel), converted when the stream is made, run in the async context
  // frame current then (js/03_async_context.js), whoever reads or writes the stream later.
  ['return I(e,r),()=>g(e,t,[])}', 'return I(e,r),internal.bindFrame(()=>g(e,t,[]))}'],
  ['return I(e,r),(r,o)=>g(e,t,[r,o])}', 'return I(e,r),internal.bindFrame((r,o)=>g(e,t,[r,o]))}'],
  ['return I(e,r),r=>S(e,t,[r])}', 'return I(e,r),internal.bindFrame(r=>S(e,t,[r]))}'],
  ['return I(e,r),r=>g(e,t,[r])}', 'return I(e,r),internal.bindFrame(r=>g(e,t,[r]))}'],
  // A WritableStreamDefaultController's AbortController (for its `signal`) is made when `signal`
  // is first read, from the events module, instead of with every controller from the global a
  // tenant may have replaced: a TransformStream or a pipe does not load the events module into
  // the context (~0.8 ms of a fresh isolate's first stream). An abort before that read is kept
  // (`_aborted`, `_abortReason`) and the signal made aborted with the reason.
  ['t._abortController=function(){if("function"==typeof AbortController)return new AbortController}(),',
   't._abortController=void 0,t._aborted=!1,'],
  ['e._writableStreamController._abortReason=t,null===(r=e._writableStreamController._abortController)',
   'e._writableStreamController._abortReason=t,e._writableStreamController._aborted=!0,null===(r=e._writableStreamController._abortController)'],
  ['if(void 0===this._abortController)throw new TypeError("WritableStreamDefaultController.prototype.signal is not supported");',
   'if(void 0===this._abortController){const A=new(internal.require("events").AbortController);this._abortController=A;if(this._aborted)A.abort(this._abortReason)}'],
  // IsDetachedBuffer: exact, instead of "byteLength is 0".
  ['de=e=>(de="boolean"==typeof e.detached?e=>e.detached:e=>0===e.byteLength,de(e))',
   'de=e=>native.isDetachedArrayBuffer(e)'],
];

// feross/buffer predates Node's "base64url" encoding (Node 15.7, in Workers too): decoding
// already accepts the URL-safe alphabet (base64-js), so the encoding joins "base64" everywhere
// and toString drops the padding and swaps "+/" for "-_".
const bufferPatches = [
  ["case 'base64':", "case 'base64url':\n      case 'base64':"],
  ["case 'base64url':\n      case 'base64':\n        return base64Slice(this, start, end)",
   "case 'base64url':\n        return base64Slice(this, start, end).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')\n" +
   "      case 'base64':\n        return base64Slice(this, start, end)"],
];

// html-rewriter-wasm (lol-html in Wasm) is written for Node: its glue reads the .wasm from disk,
// takes TextEncoder/TextDecoder from `util` and asserts with `assert`. In atoll the module is the
// process's shared compilation of the .wasm embedded in the binary (bindings/html_rewriter.cc),
// the codecs are the encoding module's, and assert is a two-line check.
const htmlRewriterPatches = [
  ["require(String.raw`./asyncify.js`)", "require(\"./asyncify.js\")"],
  ["require(String.raw`util`)", "internal.require(\"encoding\")"],
  ["const path = require('path').join(__dirname, 'html_rewriter_bg.wasm');\nconst bytes = require('fs').readFileSync(path);\n\nconst wasmModule = new WebAssembly.Module(bytes);",
   "const wasmModule = native.htmlRewriterModule();"],
];
const asyncifyPatches = [
  ['const assert = require("assert");',
   'const assert = (ok) => { if (!ok) throw new Error("HTMLRewriter: lol-html asyncify state is inconsistent"); };\n' +
   'assert.strictEqual = (a, b) => assert(a === b);'],
];

// unenv's "not implemented" errors as Node's and workerd's (code ERR_METHOD_NOT_IMPLEMENTED).
const unenvPatches = [
  ["return new Error(`[unenv] ${name} is not implemented yet!`);",
   "return Object.assign(new Error(`The ${name} method is not implemented`), { code: \"ERR_METHOD_NOT_IMPLEMENTED\" });"],
  ["throw new Error(`[unenv] ${name} is not implemented yet!`);", "throw createNotImplementedError(name);"],
];

const patches = {
  "unenv/dist/runtime/_internal/utils.mjs": unenvPatches,
  "html-rewriter-wasm/dist/html_rewriter.js": htmlRewriterPatches,
  "html-rewriter-wasm/dist/asyncify.js": asyncifyPatches,
  "buffer/index.js": bufferPatches,
  "web-streams-polyfill/dist/ponyfill.mjs": ponyfillPatches,
};

// A raw string literal is limited in size by some compilers: the text in 16 KB pieces.
function pieces16k(text) {
  if (text.includes(")atoll_js\"")) throw new Error("a module contains the raw-string delimiter");
  const pieces = [];
  for (let i = 0; i < text.length; i += 16000) pieces.push(text.slice(i, i + 16000));
  return pieces.map((p) => `    R"atoll_js(${p})atoll_js"`).join("\n");
}

// Each text is a char array whose length is its sizeof: a string_view made from a bare literal
// would have the compiler count its characters in a constexpr loop, and the modules together are
// over GCC's constexpr operation limit.
let texts = "";
let cc = "";
let count = 0;
const addSource = (name, text) => {
  // lazy_modules.cc hands the text to V8 as an external one-byte string: ASCII only (esbuild
  // escapes the rest by default).
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`lazy module ${name} is not ASCII`);
  const index = count++;
  texts += `constexpr char kText${index}[] =\n` + pieces16k(text) + ";\n";
  cc += `  {"${name}", std::string_view(kText${index}, sizeof(kText${index}) - 1)},\n`;
};
const generatedSources = Object.fromEntries(
  Object.entries(generatedNodeModules).map(([name, text]) => [lazyNameOf(name), text]));
for (const name of modules) {
  const entry = join(here, `${name}.js`);
  const generated = generatedSources[name];
  if (generated === undefined && !existsSync(entry)) throw new Error(`no lazy module ${entry}`);
  if (generated !== undefined && existsSync(entry)) throw new Error(`${entry} is also generated (build.mjs)`);
  if (name === "safe_calls") {  // the runtime the others are rewritten to call: taken as it is
    addSource(name, readFileSync(entry, "utf8"));
    continue;
  }
  const result = await build({
    // The node_* entries are CommonJS (`module.exports = EventEmitter`, as Node's modules are):
    // `module` is the loader's (lazy_modules.cc), whatever package.json's "type" says.
    logOverride: { "commonjs-variable-in-esm": "silent" },
    ...(generated === undefined ? { entryPoints: [entry] } : { stdin: { contents: generated, resolveDir: here, sourcefile: entry } }),
    bundle: true, write: false, format: "cjs", platform: "neutral",
    mainFields: ["main", "module"], target: "es2022", minifyWhitespace: true, minifySyntax: true, keepNames: true,
    legalComments: "none", plugins: [shimPlugin], logLevel: "warning",
    ...(name.startsWith("node_") ? { ...nodeGlobalsOptions, ...moduleOptions[name] } : moduleOptions[name]),
  });
  // Every module reaches built-ins through the intrinsics captured before tenant code ran, but
  // es_builtins: core-js installs built-ins on the tenant's own globals, as a polyfill the tenant
  // bundled itself would (and shadows the global names hardening would rewrite).
  // Renamed: `class Name2` (a clash), or `var Name = class _Name` (a class that names itself in
  // its own body) whose .name the module does not set back (url.js does), so that Name.name
  // would be the new name.
  if (moduleOptions[name]?.keepNames === false) {
    const output = result.outputFiles[0].text;
    const clash = /\bclass [A-Z][A-Za-z]*\d\b/.exec(output);
    const self = [...output.matchAll(/\bclass _([A-Z][A-Za-z]*)\b/g)].find((m) => !output.includes(`value:"${m[1]}"`));
    if (clash || self) throw new Error(`${name}: esbuild renamed a class (${(clash ?? self)[0]}) and keepNames is off`);
  }
  const text = name === "es_builtins" ? result.outputFiles[0].text : hardenSource(result.outputFiles[0].text, name);
  addSource(name, text);
}
cc = "// Generated by bindings/js/lazy/build.mjs. Do not edit.\n" +
    "#include \"bindings/lazy_modules.h\"\n\nnamespace atl::bindings {\n" +
    "namespace {\nstruct LazySource { std::string_view name; std::string_view text; };\n" + texts +
    "constexpr LazySource kSources[] = {\n" + cc;
cc += "};\n}  // namespace\n\nstd::string_view LazyModuleSource(std::string_view name) {\n" +
    "  for (const LazySource& s : kSources) if (s.name == name) return s.text;\n  return {};\n}\n\n" +
    "}  // namespace atl::bindings\n";
if (!existsSync(output) || readFileSync(output, "utf8") !== cc) writeFileSync(output, cc);
