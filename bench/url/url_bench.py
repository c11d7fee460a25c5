#!/usr/bin/env python3
"""URL benchmark (issue 18 goal 1), run by bench/url.sh: what `new URL(request.url)` costs a tenant,
for atoll, an older atoll binary and workerd side by side, and URL parse throughput against node.

  url_bench.py run OUT_MD NAME=BINARY... [--readme README.md]

NAME is atoll, atoll-before or workerd. Per server and round (rounds alternate the servers):
  - rss: a 1-tenant server after one request, and an N-tenant server after each tenant was served
    once (the tenants' handler: `new URL(request.url)`) and BENCH_CHURN_SETTLE seconds: resident MB
    per tenant = (RSS_N - RSS_1) / (N - 1), as churn row (c).
  - first-URL CPU: the server's CPU over the first request to each of the N tenants, with that
    handler minus with a handler that does not touch URL (a second N-tenant server): what a fresh
    isolate's first `new URL()` costs, load of the implementation included.
  - parse throughput: one tenant whose handler parses PARSES URLs (8 shapes) per request; server
    CPU per parse over REQUESTS sequential requests; node (the machine's) runs the same loop.
Servers run on CPU 0 (taskset), each in its own process group, killed when its step ends.
"""
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "churn"))
sys.path.insert(0, os.path.join(HERE, ".."))
import churn  # noqa: E402  (request_args, check, rss_kb, tree, wait, config, update_readme)
import report  # noqa: E402  (_stat, alternate_rounds, median_cell, emit_table, run_main)

TENANTS = int(os.environ.get("BENCH_URL_TENANTS", "300"))
ROUNDS = int(os.environ.get("BENCH_URL_ROUNDS", "2"))
PARSES = int(os.environ.get("BENCH_URL_PARSES", "500"))
REQUESTS = int(os.environ.get("BENCH_URL_REQUESTS", "400"))
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
TICK = os.sysconf("SC_CLK_TCK")
START, END = "<!-- url:start -->", "<!-- url:end -->"

URLS = [
    "https://example.com/path/to/resource?query=1&b=2#frag",
    "http://user:pass@EXAMPLE.com:8080/a/./b/../c",
    "https://api.example.com/v1/items/12345?fields=a,b,c",
    "http://192.168.0.1:80/index.html",
    "https://b\u00fccher.example/caf\u00e9?q=\u00e4",
    "file:///etc/hosts",
    "https://example.com/~foo/bar baz?x=<y>",
]
RELATIVE = ("../x/y?z#w", "https://example.org/a/b/c")
LOOP_JS = (
    "const URLS = %s;\nconst REL = %s;\n"
    "function parseMany(n) {\n  let total = 0;\n"
    "  for (let i = 0; i < n; i++) {\n"
    "    const k = i %% (URLS.length + 1);\n"
    "    const url = k === URLS.length ? new URL(REL[0], REL[1]) : new URL(URLS[k]);\n"
    "    total += url.pathname.length + url.host.length;\n  }\n  return total;\n}\n"
) % (repr(URLS).replace("'", '"'), repr(list(RELATIVE)).replace("'", '"'))


def tenant_script(i, handler):
    body = f"tenant {i}\\n"
    if handler == "url":
        return ("export default { fetch(request) { const url = new URL(request.url); "
                f"return new Response(\"{body}\", {{ headers: {{ \"x-path\": url.pathname }} }}) }} }}\n")
    if handler == "loop":
        return LOOP_JS + (f"export default {{ fetch(request) {{ const n = parseMany({PARSES}); "
                          f"return new Response(\"{body}\", {{ headers: {{ \"x-total\": String(n) }} }}) }} }}\n")
    return f'export default {{ fetch() {{ return new Response("{body}") }} }}\n'


def write_scripts(d, count, handler, script=tenant_script):
    os.makedirs(d, exist_ok=True)
    for i in range(1, count + 1):
        with open(os.path.join(d, f"t{i}.js"), "w") as f:
            f.write(script(i, handler))


def ticks(pid):
    total = 0
    for p in churn.tree(pid):
        try:
            total += report._stat(p)[1]
        except (OSError, IndexError, ValueError):
            pass
    return total


def freeport():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server with COUNT tenants whose scripts are in TMP/<tag>/scripts, in its own group;
    script(i, handler) is tenant i's module (bench/first_use/first_use.py passes its own).
    bench/cold/cold_bench.py's switches: write(dir, count) writes the scripts instead (churn's),
    prewarm_mb > 0 adds [server] prewarm_mb and waits for "prewarm done" (prewarm_line, ready_s
    counts it), env is the server's environment, log_name and deadline_s its log and start limit."""

    def __init__(self, name, binary, tmp, tag, count, handler, logs, script=tenant_script, *, write=None,
                 prewarm_mb=0, env=None, log_name=None, deadline_s=180):
        self.dir = os.path.join(tmp, tag)
        if write is not None:
            write(os.path.join(self.dir, "scripts"), count)
        else:
            write_scripts(os.path.join(self.dir, "scripts"), count, handler, script)
        self.port = freeport()
        kind = "workerd" if name == "workerd" else "atoll"
        out = subprocess.run([sys.executable, os.path.join(HERE, "..", "churn", "churn.py"), "config", kind,
                              self.dir, tag, str(count), "shared", str(self.port)],
                             check=True, capture_output=True, text=True).stdout.strip()
        if prewarm_mb:
            with open(out) as f:
                text = f.read()
            with open(out, "w") as f:
                f.write(text.replace("[server]\n", f"[server]\nprewarm_mb = {prewarm_mb}\n", 1))
        if kind == "atoll":
            cmd = [binary, "serve", "--config", out, "--workers", "1"]
        else:
            cmd = [binary, "serve", out, "--socket-addr", f"http=127.0.0.1:{self.port}"]
        self.log_path = os.path.join(logs, log_name or f"url-{name}-{tag}.log")
        self.log = open(self.log_path, "w")
        self.t0 = time.time()
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + cmd, cwd=self.dir, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=env)
        deadline = time.time() + deadline_s
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/", headers={"Host": "unrouted.invalid"})
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name} {tag}: did not start (see {self.log.name})")
                time.sleep(0.05)
        self.prewarm_line = ""
        while prewarm_mb:
            with open(self.log_path, errors="replace") as f:
                found = [line for line in f if '"prewarm done"' in line]
            if found:
                self.prewarm_line = found[-1].strip()
                break
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"{name} {tag}: no 'prewarm done' (see {self.log_path})")
            time.sleep(0.05)
        self.ready_s = time.time() - self.t0

    def get(self, conn, i):
        path, headers = churn.request_args(i)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        err = churn.check(i, resp.status, body)
        if err:
            raise RuntimeError(err)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def cold_pass(server, count):
    """First request to every tenant on one keep-alive connection: (CPU ms, RSS kB after settling)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    before = ticks(server.proc.pid)
    for i in range(1, count + 1):
        server.get(conn, i)
    after = ticks(server.proc.pid)
    conn.close()
    time.sleep(churn.SETTLE_S)
    return (after - before) * 1000 / TICK, churn.rss_kb(server.proc.pid)


def measure(name, binary, tmp, logs, rnd):
    out = {}
    s = Server(name, binary, tmp, f"{name}-base-{rnd}", 1, "url", logs)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        s.get(conn, 1)
        conn.close()
        time.sleep(churn.SETTLE_S)
        rss1 = churn.rss_kb(s.proc.pid)
    finally:
        s.stop()
    for handler in ("url", "plain"):
        s = Server(name, binary, tmp, f"{name}-{handler}-{rnd}", TENANTS, handler, logs)
        try:
            cpu, rssn = cold_pass(s, TENANTS)
        finally:
            s.stop()
        out[f"cpu_{handler}"] = cpu / TENANTS
        out[f"mb_{handler}"] = (rssn - rss1) / (TENANTS - 1) / 1024
    out["first_url_ms"] = out["cpu_url"] - out["cpu_plain"]
    s = Server(name, binary, tmp, f"{name}-loop-{rnd}", 1, "loop", logs)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        for _ in range(5):
            s.get(conn, 1)
        before = ticks(s.proc.pid)
        t = time.perf_counter()
        for _ in range(REQUESTS):
            s.get(conn, 1)
        wall = time.perf_counter() - t
        after = ticks(s.proc.pid)
        conn.close()
    finally:
        s.stop()
    out["ns_per_parse"] = (after - before) / TICK * 1e9 / (REQUESTS * PARSES)
    out["wall_ns_per_parse"] = wall * 1e9 / (REQUESTS * PARSES)
    return out


def node_parse():
    js = LOOP_JS + (f"parseMany({PARSES} * 5);\nconst c0 = process.cpuUsage();\n"
                    f"for (let r = 0; r < {REQUESTS}; r++) parseMany({PARSES});\n"
                    "const c = process.cpuUsage(c0);\n"
                    f"console.log(((c.user + c.system) * 1000 / ({REQUESTS} * {PARSES})).toFixed(1));\n")
    try:
        v = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
        r = subprocess.run(["taskset", "-c", SERVER_CPU, "node", "-e", js], capture_output=True, text=True,
                           timeout=120)
        return v, float(r.stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None, None


def run(out_md, servers, readme=None):
    nodes = []
    results = report.alternate_rounds("url", ROUNDS, servers, measure, "atoll-url.",
                                      after_round=lambda: nodes.append(node_parse()))
    node_version = next((v for v, _ in nodes if v), None)
    node_ns = [x for _, x in nodes if x is not None]

    def med(name, key, digits):
        return report.median_cell([r[key] for r in results[name]], digits)

    names = [n for n, _ in servers]
    rows = [
        ("(c) resident MB per tenant, handler `new URL(request.url)`", "mb_url", 2),
        ("(c) same, handler without URL", "mb_plain", 2),
        ("CPU of a cold tenant's first request, URL handler, ms", "cpu_url", 2),
        ("same, handler without URL, ms", "cpu_plain", 2),
        ("first `new URL()` on a fresh isolate (difference), ms", "first_url_ms", 2),
        (f"URL parse, server CPU ns per `new URL()` ({PARSES} per request)", "ns_per_parse", 0),
    ]
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores; "
             f"{TENANTS} tenants, {ROUNDS} round(s) alternating the servers (median, min-max), servers on "
             f"CPU {SERVER_CPU}; load average at the end {os.getloadavg()[0]:.1f}.", "",
             "| measure | " + " | ".join(names) + " | node |", "|---|" + "---:|" * (len(names) + 1)]
    for label, key, digits in rows:
        node_cell = "-"
        if key == "ns_per_parse" and node_ns:
            node_cell = f"{statistics.median(node_ns):.0f}" + (f" ({node_version})" if node_version else "")
        lines.append(f"| {label} | " + " | ".join(med(n, key, digits) for n in names) + f" | {node_cell} |")
    report.emit_table(lines, out_md, readme, START, END)


def main(argv):
    return report.run_main(argv, run, __doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
