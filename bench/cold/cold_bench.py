#!/usr/bin/env python3
"""Cold-tenant benchmark (issue 18 goal 2), run by bench/cold.sh: churn row (a), the first request
to each of N tenants the process never served, for several servers side by side, with what each
server spent to get there.

  cold_bench.py run OUT_MD NAME=BINARY... [--readme README.md]

NAME is one of
  atoll-before   an older atoll binary (BENCH_ATOLL_BEFORE), loading each tenant on its request
  atoll          this build, loading each tenant on its request (no prewarm)
  atoll-maps     the same with ATOLL_V8_MAPS_SCAN=1: V8's own /proc/self/maps scan per isolate
  atoll-prewarm  this build with `[server] prewarm_mb = BENCH_COLD_PREWARM_MB`: the requests start
                 once the worker logged "prewarm done"
  workerd        the same scripts as N workers behind a router worker (loads every one at start-up)
Per server and round (rounds alternate the servers): a 1-tenant server after one request, then an
N-tenant server: time from spawn to ready (an answer to an unrouted host; for atoll-prewarm, to
"prewarm done") and its RSS then; tenants t1..tN once each on one keep-alive connection (latency
from sending to the last body byte, as churn row a), the server's utime+stime over that pass / N;
BENCH_CHURN_SETTLE seconds; RSS; the same tenants again (warm). Resident MB per tenant is
(RSS_N - RSS_1) / (N - 1), as churn row (c). Servers run on CPU 0, each in its own process group.
"""
import http.client
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "churn"))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "url"))
import churn  # noqa: E402
import report  # noqa: E402  (alternate_rounds, median_cell, emit_table, run_main)
import url_bench  # noqa: E402
from url_bench import TICK, ticks  # noqa: E402

TENANTS = int(os.environ.get("BENCH_COLD_TENANTS", "1000"))
ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "2"))
PREWARM_MB = int(os.environ.get("BENCH_COLD_PREWARM_MB", "2048"))
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
START, END = "<!-- cold:start -->", "<!-- cold:end -->"


def Server(name, binary, tmp, tag, count, logs):
    """NAME's server with COUNT tenants (churn's scripts and configs) in TMP/TAG, in its own group:
    url_bench's Server with atoll-prewarm's prewarm_mb and atoll-maps' ATOLL_V8_MAPS_SCAN."""
    env = dict(os.environ)
    env.pop("ATOLL_V8_MAPS_SCAN", None)
    if name == "atoll-maps":
        env["ATOLL_V8_MAPS_SCAN"] = "1"
    return url_bench.Server(name, binary, tmp, tag, count, None, logs, write=churn.scripts,
                            prewarm_mb=PREWARM_MB if name == "atoll-prewarm" else 0, env=env,
                            log_name=f"cold-{tag}.log", deadline_s=300)


def get(conn, i):
    path, headers = churn.request_args(i)
    t = time.perf_counter()
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    dt = (time.perf_counter() - t) * 1000
    err = churn.check(i, resp.status, body)
    if err:
        raise RuntimeError(err)
    if resp.will_close:
        raise RuntimeError(f"t{i}: the server closed the keep-alive connection")
    return dt


def measure(name, binary, tmp, logs, rnd):
    s = Server(name, binary, tmp, f"{name}-one-{rnd}", 1, logs)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        get(conn, 1)
        conn.close()
        time.sleep(churn.SETTLE_S)
        rss1 = churn.rss_kb(s.proc.pid)
    finally:
        s.stop()
    s = Server(name, binary, tmp, f"{name}-n-{rnd}", TENANTS, logs)
    try:
        out = {"ready_s": s.ready_s, "ready_rss_mb": churn.rss_kb(s.proc.pid) / 1024,
               "ready_cpu_ms": ticks(s.proc.pid) * 1000 / TICK, "prewarm": s.prewarm_line}
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        before = ticks(s.proc.pid)
        first = [get(conn, i) for i in range(1, TENANTS + 1)]
        after = ticks(s.proc.pid)
        time.sleep(churn.SETTLE_S)
        rssn = churn.rss_kb(s.proc.pid)
        warm = [get(conn, i) for i in range(1, TENANTS + 1)]
        conn.close()
    finally:
        s.stop()
    out.update({
        "cold_p50": statistics.median(first), "cold_p99": churn.pct(first, 99), "cold_max": max(first),
        "warm_p50": statistics.median(warm), "cpu_ms": (after - before) * 1000 / TICK / TENANTS,
        "mb_per_tenant": (rssn - rss1) / (TENANTS - 1) / 1024, "rss_n_mb": rssn / 1024,
    })
    return out


def run(out_md, servers, readme=None):
    results = report.alternate_rounds("cold", ROUNDS, servers, measure, "atoll-cold.")

    def med(name, key, digits):
        return report.median_cell([r[key] for r in results[name]], digits)

    names = [n for n, _ in servers]
    rows = [
        ("(a) first request to a cold tenant, p50 ms", "cold_p50", 2),
        ("(a) same, p99 ms", "cold_p99", 2),
        ("(a) same, max ms", "cold_max", 1),
        ("(a) same tenants, second request, p50 ms", "warm_p50", 2),
        ("server CPU per cold request (utime+stime over the pass / N), ms", "cpu_ms", 2),
        ("start-up: spawn to ready (prewarm: to \"prewarm done\"), s", "ready_s", 2),
        ("server CPU spent by then, ms", "ready_cpu_ms", 0),
        ("RSS when ready, MB", "ready_rss_mb", 0),
        ("(c) resident MB per tenant after the pass, vs a 1-tenant server", "mb_per_tenant", 2),
    ]
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores; "
             f"{TENANTS} tenants, {ROUNDS} round(s) alternating the servers (median, min-max), servers on "
             f"CPU {SERVER_CPU}; prewarm_mb = {PREWARM_MB}; load average at the end {os.getloadavg()[0]:.1f}.", "",
             "| measure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, key, digits in rows:
        lines.append(f"| {label} | " + " | ".join(med(n, key, digits) for n in names) + " |")
    notes = [r["prewarm"] for n in names for r in results[n][:1] if r.get("prewarm")]
    if notes:
        lines += ["", "atoll-prewarm's worker said (round 1): `" + notes[0] + "`"]
    report.emit_table(lines, out_md, readme, START, END)


def main(argv):
    return report.run_main(argv, run, __doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
