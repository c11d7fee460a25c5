// Differential test of bindings/js/lazy/lib/url_fast_path.js: wherever the fast path accepts an
// input, its URL record must equal what whatwg-url's state machine makes. Inputs: the WPT URL
// data and 20,000 generated URLs mixing the characters each component treats specially.
// Run by ctest: node tests/url_fast_path_test.mjs (exit 1 on the first difference).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const usm = require("whatwg-url/lib/url-state-machine.js");
const { fastParse } = await import(join(root, "bindings/js/lazy/lib/url_fast_path.js"));

let compared = 0, accepted = 0;
function check(input) {
  compared++;
  const fast = fastParse(input);
  if (fast === null) return;
  accepted++;
  assert.deepEqual(fast, usm.basicURLParse(input), `input ${JSON.stringify(input)}`);
}

for (const item of JSON.parse(readFileSync(join(root, "tests/wpt/url/resources/urltestdata.json"), "utf8"))) {
  if (typeof item === "object" && item.base === null) check(item.input);
  if (typeof item === "object" && item.base !== null) check(item.base);
}

// A small deterministic generator (xorshift) over the characters that matter.
let seed = 0x9e3779b9;
const random = (n) => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};
const pick = (list) => list[random(list.length)];
const SCHEMES = ["http", "https", "ws", "wss", "HTTP", "ftp", "file", "foo"];
const HOSTS = ["example.com", "a.b-c.d", "127.0.0.1", "0x7f.1", "1.2.3.256", "010.1.1.1", "xn--bcher-kva.ch", "EXAMPLE.com",
  "a..b", "h.", "1.2.3", "0x", "local-host", "a.123", "a.0x1f", "b%41r", "[::1]", "ex_ample.com", "255.255.255.255"];
const PORTS = ["", ":80", ":443", ":8080", ":0", ":08080", ":65535", ":65536", ":", ":1"];
const PATH_CHARS = ["a", "/", ".", "..", "%2e", "%2E", "%41", "%", "^", "`", "{", "}", "?", "'", "\"", " ", "\\", "|", "~", "@", ":", "é", "[", "]", ";", "=", "!", "$", "&", "*", "+", ","];
const QUERY_CHARS = ["a", "=", "&", "'", "\"", "%", "%20", " ", "?", "/", "`", "{", "#", "\\", "^", "<", "é"];
function gen(chars, max) {
  let s = "";
  for (let i = random(max); i > 0; i--) s += pick(chars);
  return s;
}
const CLEAN = ["a", "b", "/", "-", "_", "~", "%41", "=", "&", "1", "x.y"];
for (let i = 0; i < 20000; i++) {
  // Half of the inputs use only characters the fast path takes, so that it is reached often.
  const clean = i % 2 === 0;
  let url = `${pick(SCHEMES)}://${pick(HOSTS)}${pick(PORTS)}`;
  if (random(4) > 0) url += `/${gen(clean ? CLEAN : PATH_CHARS, 8)}`;
  if (random(2) === 0) url += `?${gen(clean ? CLEAN : QUERY_CHARS, 6)}`;
  if (random(3) === 0) url += `#${gen(clean ? CLEAN : QUERY_CHARS, 4)}`;
  check(url);
}
if (accepted < 1000) throw new Error(`the fast path accepted only ${accepted} inputs: the generator no longer reaches it`);
console.log(`url fast path: ${compared} inputs compared, ${accepted} taken by the fast path, all equal`);
