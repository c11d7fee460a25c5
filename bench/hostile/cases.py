"""The hostile tenants of issue 12, as data for bench/hostile/hostile.py.

Each case is one attacker tenant next to the victim. `script` is the attacker's module; its
handler attacks on any path but /ok, where it answers "ok" (the recovery check: the tenant
serves again once its isolate was discarded). `mode` says how the attack is driven while the
victim is under wrk:
  once    one request at the start
  repeat  one request after another (each on a fresh connection, 0.2 s apart)
  stream  one request whose body is read as fast as possible for the whole window
  conns   COUNT idle connections opened and held (the tenant is not involved)
`expect` is what must happen, in words (the table's second column); `ok` checks the attacker's
observed statuses (a list of ints, 0 = no answer) and says whether the row is contained;
`answer`, if given, is a regular expression every 200 answer's body must match; `duration`, if
given, is the victim's wrk window under this attack (seconds) instead of the default.
"""

OK = 'if (new URL(request.url).pathname === "/ok") return new Response("ok");'


def module(body, extra=""):
    return ("export default { async fetch(request, env, ctx) { " + OK + "\n" + body + "\n} };\n" + extra)


def all_in(*allowed):
    return lambda statuses: bool(statuses) and all(s in allowed for s in statuses)


CASES = [
    {
        "name": "1 timer chain after the response",
        "script": module('const f = () => setTimeout(f, 0); setTimeout(f, 0); return new Response("armed");'),
        "mode": "once",
        "expect": "200 armed, then the chain is stopped (cpu_limit); the loop keeps serving",
        "ok": all_in(200),
    },
    {
        "name": "1 timer chain at top level",
        "script": "const f = () => setTimeout(f, 0); setTimeout(f, 0);\n" + module('return new Response("x");'),
        "mode": "once",
        "expect": "the chain is stopped (cpu_limit); the loop keeps serving",
        "ok": all_in(200, 500, 503),
    },
    {
        "name": "2 two 160 MB arrays",
        "script": module('new Array(2e7).fill(1.5); new Array(2e7).fill(2.5); return new Response("no");'),
        "mode": "repeat",
        "expect": "503 each time (memory_limit, or cpu_limit when the 50 ms budget runs out first), no worker dies",
        "ok": all_in(503),
    },
    {
        "name": "2 512 MB string toUpperCase",
        "script": module('const s = "x".repeat(2 ** 29 - 100).toUpperCase(); return new Response(String(s.length));'),
        "mode": "repeat",
        "expect": "503 each time (memory_limit, or cpu_limit when the 50 ms budget runs out first), no worker dies",
        "ok": all_in(503),
    },
    {
        "name": "2 JSON.stringify of a 512 MB string (victim measured over 30 s)",
        "script": module('const s = JSON.stringify("x".repeat(2 ** 29 - 100)); return new Response(String(s.length));'),
        "mode": "repeat",
        "expect": "503 (memory_limit or cpu_limit); V8 finishes the builtin first (seconds), then the tenant is refused for 10x that",
        "ok": all_in(503),
        "duration": 30,
    },
    {
        "name": "3 setInterval burning CPU after the response",
        "script": module('setInterval(() => { const t = Date.now(); let x = 0; for (let i = 0; i < 2e6; i++) x += i; }, 1);'
                         ' return new Response("armed");'),
        "mode": "once",
        "expect": "200 armed, then stopped (cpu_limit)",
        "ok": all_in(200),
    },
    {
        "name": "3 never-ending ReadableStream",
        "script": module('const chunk = new Uint8Array(65536);'
                         ' return new Response(new ReadableStream({ pull(c) { c.enqueue(chunk); } }));'),
        "mode": "stream",
        "expect": "cut off once it used cpu_ms of JS; victim unaffected",
        "ok": all_in(200),
    },
    {
        "name": "4 gzip(gzip(1 GiB)) through two DecompressionStreams",
        "script": module('const s = request.body.pipeThrough(new DecompressionStream("gzip"))'
                         '.pipeThrough(new DecompressionStream("gzip")); let n = 0;'
                         ' for await (const c of s) n += c.byteLength; return new Response(String(n));'),
        "mode": "repeat",
        "body": "bomb",
        "expect": "503 memory_limit or cpu_limit (inflating is bounded and charged); loop keeps serving",
        "ok": all_in(503),
    },
    {
        "name": "4 2 GiB WebAssembly.Memory filled",
        "script": module('const m = new WebAssembly.Memory({ initial: 32768 });'
                         ' new Uint8Array(m.buffer).fill(1); return new Response("filled");'),
        "mode": "repeat",
        "expect": "refused (RangeError -> 500) or 503 memory_limit: counts against memory_mb",
        "ok": all_in(500, 503),
    },
    {
        "name": "4 16 MB tenant grows a Memory to 196 MB",
        "script": module('const m = new WebAssembly.Memory({ initial: 1 }); for (let i = 0; i < 196 * 16; i++) m.grow(1);'
                         ' return new Response(String(m.buffer.byteLength));'),
        "tenant": 'memory_mb = 16\n',
        "mode": "repeat",
        "expect": "refused (500) or 503 memory_limit",
        "ok": all_in(500, 503),
    },
    {
        "name": "4 RSA-4096 generateKey",
        "script": module('await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 4096,'
                         ' publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["sign"]);'
                         ' return new Response("key");'),
        "mode": "repeat",
        "expect": "keys made off the loop thread: the victim keeps its rate",
        "ok": all_in(200, 503),
    },
    {
        "name": "6 1,100 idle connections (nofile 1024)",
        "script": module('return new Response("x");'),
        "mode": "conns",
        "count": 1100,
        "expect": "oldest idle connections shed; new clients served; no worker dies",
        "ok": lambda statuses: True,
    },
    {
        "name": "6 service-binding fan-out (50 per level)",
        "script": module('const d = Number(new URL(request.url).searchParams.get("d") || 0);'
                         ' const calls = Array.from({ length: 50 }, () => env.SELF.fetch("http://self/?d=" + (d + 1))'
                         '.then(r => r.arrayBuffer(), e => 0));'
                         ' await Promise.all(calls); return new Response("d" + d);'),
        "services": {"SELF": "self"},
        "mode": "repeat",
        "expect": "the chain's invocation budget stops it; the first request answers",
        "ok": all_in(200, 500, 503),
    },
    {
        "name": "6 5,000-deep self-call chain",
        "script": module('const d = Number(new URL(request.url).searchParams.get("d") || 0);'
                         ' if (d >= 5000) return new Response("bottom");'
                         ' try { const r = await env.SELF.fetch("http://self/?d=" + (d + 1)); return new Response(await r.text()); }'
                         ' catch (e) { return new Response("stopped at " + d + ": " + e.message); }'),
        "services": {"SELF": "self"},
        "mode": "repeat",
        "expect": "stopped at the depth cap with a TypeError; answers 200",
        "ok": all_in(200),
        "answer": "^stopped at",
    },
    {
        "name": "6 10 MB of console.log per request",
        "script": module('const line = "x".repeat(1000); for (let i = 0; i < 10000; i++) console.log(line);'
                         ' return new Response("logged");'),
        "mode": "repeat",
        "expect": "log truncated per request; the loop keeps serving",
        "ok": all_in(200, 503),
    },
    {
        "name": "6 never-settling waitUntil (per_request)",
        "script": module('ctx.waitUntil(new Promise(() => {})); return new Response("w");'),
        "tenant": 'context = "per_request"\n',
        "mode": "repeat",
        "expect": "contexts retired after the waitUntil cap",
        "ok": all_in(200),
    },
    {
        "name": "6 1.1M pending timers",
        "script": module('for (let i = 0; i < 1.1e6; i++) setTimeout(() => {}, 1e9); return new Response("armed");'),
        "mode": "repeat",
        "expect": "refused past the timer cap (500) or cpu_limit; no memory outside the heap",
        "ok": all_in(500, 503),
    },
    {
        "name": "7 shared WebAssembly.Memory",
        "script": module('try { const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });'
                         ' const name = Object.prototype.toString.call(m.buffer);'
                         ' return new Response("no SharedArrayBuffer: " + name, { status: name === "[object ArrayBuffer]" ? 200 : 500 }); }'
                         ' catch (e) { return new Response("refused: " + e.name); }'),
        "mode": "once",
        "expect": "no SharedArrayBuffer (`shared` refused or ignored, as without the threads proposal)",
        "ok": all_in(200),
        "answer": "^(refused|no SharedArrayBuffer)",
    },
    {
        "name": "8 WebAssembly.compile(bytes)",
        "script": module('const m = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));'
                         ' const i = await WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));'
                         ' return new Response("settled");'),
        "mode": "once",
        "expect": "both settle at once: 200",
        "ok": all_in(200),
        "answer": "^settled$",
    },
    {
        "name": "9 throwing error listener",
        "script": ('addEventListener("error", () => { throw new Error("again"); });\n'
                   'addEventListener("fetch", (e) => { if (new URL(e.request.url).pathname === "/ok") return e.respondWith(new Response("ok"));'
                   ' setTimeout(() => { throw new Error("first"); }, 0); e.respondWith(new Response("thrown")); });\n'),
        "mode": "repeat",
        "expect": "200; the listener's error is logged once, not re-dispatched",
        "ok": all_in(200),
    },
    {
        "name": "10 patched RegExp.prototype.exec, then URLPattern",
        "script": module('RegExp.prototype.exec = function () { return { index: 0, 0: "", length: 1 }; };'
                         ' const p = new URLPattern({ pathname: "/a/:id" });'
                         ' return new Response(JSON.stringify(p.exec("http://x/a/1")?.pathname.groups ?? null));'),
        "mode": "once",
        "expect": "URLPattern unaffected: 200 {\"id\":\"1\"}",
        "ok": all_in(200),
        "answer": '^\\{"id":"1"\\}$',
    },
    {
        "name": "11 await writer.write() on a TransformStream nobody reads",
        "script": module('const race = (p) => Promise.race([p.then(() => "resolved"), new Promise((r) => setTimeout(() => r("pending"), 50))]);'
                         ' const a = await race(new TransformStream().writable.getWriter().write("x"));'
                         ' const b = await race(new TransformStream({}, undefined, { highWaterMark: 1 }).writable.getWriter().write("x"));'
                         ' const c = await race(new TextEncoderStream().writable.getWriter().write("x"));'
                         ' return new Response([a, b, c].join(" "));'),
        "mode": "once",
        "expect": "as the Streams spec (WPT backpressure tests): pending while readable HWM is 0, resolved with HWM 1",
        "ok": all_in(200),
        "answer": "^pending resolved pending$",
    },
]
