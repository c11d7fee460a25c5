#!/usr/bin/env python3
"""First-use benchmark (issue 18 goal 1), run by bench/first_use.sh: the CPU a fresh isolate spends
on its first use of URL, Headers, streams and TextEncoder/TextDecoder, each alone and all four
together, and what each costs in resident memory per tenant, for atoll, an older atoll binary and
workerd side by side.

  first_use.py run OUT_MD NAME=BINARY... [--readme README.md]

Per server and round (rounds alternate the servers), for each handler of HANDLERS: an N-tenant
server (every tenant the same handler), the first request to each tenant on one keep-alive
connection; CPU ms per tenant = the server's utime+stime over that pass / N; the handler's first
use = its CPU per tenant minus the `plain` handler's (same async shape, no API). Resident MB per
tenant = (RSS_N after BENCH_CHURN_SETTLE s - RSS_1) / (N - 1), RSS_1 a 1-tenant `plain` server after
one request, as churn row (c). Servers and their process groups are killed when a step ends.
"""
import http.client
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "url"))
sys.path.insert(0, os.path.join(HERE, "..", "churn"))
sys.path.insert(0, os.path.join(HERE, ".."))
import churn  # noqa: E402  (rss_kb, SETTLE_S)
import report  # noqa: E402  (alternate_rounds, median_cell, emit_table, run_main)
import url_bench  # noqa: E402  (Server, ticks, TICK)

TENANTS = int(os.environ.get("BENCH_FIRST_USE_TENANTS", "200"))
ROUNDS = int(os.environ.get("BENCH_FIRST_USE_ROUNDS", "2"))
START, END = "<!-- first_use:start -->", "<!-- first_use:end -->"

# What each handler does before it answers; returns a string for the x-use header.
USES = {
    "plain": 'return "-";',
    "url": "const u = new URL(request.url); return u.pathname;",
    "headers": ('const h = new Headers({ "content-type": "text/plain" }); h.append("x-a", "1"); '
                'h.set("x-b", request.headers.get("host") || ""); let n = 0; for (const _ of h) n++; '
                "return String(n);"),
    "streams": ("const t = new TransformStream({ transform(c, k) { k.enqueue(c.toUpperCase()); } }); "
                'const rs = new ReadableStream({ start(c) { c.enqueue("ok"); c.close(); } }); '
                "const r = rs.pipeThrough(t).getReader(); const { value } = await r.read(); return value;"),
    "encoding": ("const b = new TextEncoder().encode(request.url); "
                 "return String(new TextDecoder().decode(b).length);"),
}
USES["all"] = "\n".join(f"const v{k} = await (async () => {{ {USES[k]} }})();"
                        for k in ("url", "headers", "streams", "encoding")) + \
    '\nreturn [vurl, vheaders, vstreams, vencoding].join(",");'
HANDLERS = ["plain", "url", "headers", "streams", "encoding", "all"]
LABELS = {
    "url": "URL (`new URL(request.url)`, pathname)",
    "headers": "Headers (`new Headers`, append, set, iterate)",
    "streams": "ReadableStream + TransformStream (pipeThrough, one read)",
    "encoding": "TextEncoder + TextDecoder (encode, decode)",
    "all": "all four",
}


def tenant_script(i, handler):
    return (f"async function use(request) {{\n{USES[handler]}\n}}\n"
            "export default { async fetch(request) { const v = await use(request); "
            f'return new Response("tenant {i}\\n", {{ headers: {{ "x-use": v }} }}); }} }};\n')


def measure(name, binary, tmp, logs, rnd):
    out = {}
    s = url_bench.Server(name, binary, tmp, f"first-{name}-base-{rnd}", 1, "plain", logs, tenant_script)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        s.get(conn, 1)
        conn.close()
        time.sleep(churn.SETTLE_S)
        rss1 = churn.rss_kb(s.proc.pid)
    finally:
        s.stop()
    for handler in HANDLERS:
        s = url_bench.Server(name, binary, tmp, f"first-{name}-{handler}-{rnd}", TENANTS, handler, logs, tenant_script)
        try:
            cpu, rssn = url_bench.cold_pass(s, TENANTS)
        finally:
            s.stop()
        out[f"cpu_{handler}"] = cpu / TENANTS
        out[f"mb_{handler}"] = (rssn - rss1) / (TENANTS - 1) / 1024
    for handler in HANDLERS[1:]:
        out[f"first_{handler}"] = out[f"cpu_{handler}"] - out["cpu_plain"]
    return out


def run(out_md, servers, readme=None):
    results = report.alternate_rounds("first_use", ROUNDS, servers, measure, "atoll-first-use.")

    def med(name, key, digits):
        return report.median_cell([r[key] for r in results[name]], digits)

    names = [n for n, _ in servers]
    rows = [("CPU of a cold tenant's first request, handler without any of them, ms", "cpu_plain", 2)]
    rows += [(f"first use on a fresh isolate, ms: {LABELS[h]}", f"first_{h}", 2) for h in HANDLERS[1:]]
    rows += [("resident MB per tenant, handler without any of them", "mb_plain", 2)]
    rows += [(f"resident MB per tenant: {LABELS[h]}", f"mb_{h}", 2) for h in HANDLERS[1:]]
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores; "
             f"{TENANTS} tenants per handler, {ROUNDS} round(s) alternating the servers (median, min-max), "
             f"servers on CPU {url_bench.SERVER_CPU}; load average at the end {os.getloadavg()[0]:.1f}.", "",
             "| measure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, key, digits in rows:
        lines.append(f"| {label} | " + " | ".join(med(n, key, digits) for n in names) + " |")
    report.emit_table(lines, out_md, readme, START, END)


def main(argv):
    return report.run_main(argv, run, __doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
