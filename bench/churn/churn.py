#!/usr/bin/env python3
"""Helpers for bench/churn.sh (isolate/context churn benchmark). Python 3 stdlib only.

  churn.py scripts DIR COUNT              tenant scripts DIR/t1.js .. tCOUNT.js (tenant i answers
                                          "tenant i\\n"; even i routed by host, odd i by path)
  churn.py config KIND DIR TAG COUNT CONTEXT PORT
                                          write the KIND (atoll|workerd|node) config for tenants
                                          1..COUNT into DIR; print its path
  churn.py wait PORT PID T0 TIMEOUT [TENANT]
                                          poll 127.0.0.1:PORT with short-timeout connects until it
                                          answers (TENANT given: its own 200 body; else any HTTP
                                          answer to an unrouted request, so no tenant gets warm);
                                          print seconds since T0 (epoch seconds, from $EPOCHREALTIME)
  churn.py hit PORT TENANT                one checked request to TENANT
  churn.py cold PORT PID COUNT            (a)+(c): tenants 1..COUNT once each, in order, on one
                                          keep-alive connection, then all again (warm); prints
                                          metric<TAB>value lines
  churn.py rss PID                        VmRSS (kB) of PID plus all its descendants
  churn.py pool LOG                       metric<TAB>value lines from atoll's "pool stats" log line
  churn.py table TSV OUT_MD [--readme README.md]
                                          render bench/results/churn.tsv as a markdown table

Exit status 3 = a tenant answered with another tenant's body (misrouted): the bench must fail.
"""
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from report import publish  # noqa: E402  (bench/report.py, shared with the hello-world table)

MISROUTED = 3
# Seconds between the last cold request and the resident-memory reading (BENCH_CHURN_SETTLE).
SETTLE_S = float(os.environ.get("BENCH_CHURN_SETTLE", "4"))
POOL_FIELDS = ["context_take_us_p50", "context_take_us_p99", "isolate_take_us_p50",
               "isolate_take_us_p99", "contexts_created", "isolates_created", "evictions",
               "scripts_compiled", "code_cache_hits"]
V8_FLOOR_PER_S = 2500  # Context::New + trivial script, ≈345 µs median on the benchmark machine
SECTION = "## Churn"
START, END = "<!-- churn:start -->", "<!-- churn:end -->"


# --- tenants -------------------------------------------------------------------------------
def by_host(i):
    return i % 2 == 0


def host_of(i):
    return f"t{i}.example.com"


def route_of(i):
    return f"{host_of(i)}/*" if by_host(i) else f"*/t{i}/*"


def body_of(i):
    return f"tenant {i}\n"


# BENCH_CHURN_HANDLER=url: each tenant parses its request URL (`new URL(request.url)`) and answers
# its pathname in a header: row (c) then includes what URL costs a tenant (issue 18).
HANDLER = os.environ.get("BENCH_CHURN_HANDLER", "plain")


def scripts(d, count):
    os.makedirs(d, exist_ok=True)
    for i in range(1, int(count) + 1):
        with open(os.path.join(d, f"t{i}.js"), "w") as f:
            if HANDLER == "url":
                f.write(f'export default {{ fetch(request) {{ const url = new URL(request.url); '
                        f'return new Response("tenant {i}\\n", {{ headers: {{ "x-path": url.pathname }} }}) }} }}\n')
            else:
                f.write(f'export default {{ fetch() {{ return new Response("tenant {i}\\n") }} }}\n')


# --- configs -------------------------------------------------------------------------------
def config(kind, d, tag, count, context, port):
    count, port = int(count), int(port)
    if kind == "atoll":
        path = os.path.join(d, f"atoll-{tag}.toml")
        out = ["[server]", f'listen = ["127.0.0.1:{port}"]', f'data_dir = "data-{tag}"',
               f"max_isolates = {max(2000, count + 100)}", "", "[defaults]",
               f'context = "{context}"', ""]
        for i in range(1, count + 1):
            out += ["[[tenants]]", f'name = "t{i}"', f'script = "scripts/t{i}.js"',
                    f'routes = ["{route_of(i)}"]', ""]
    elif kind == "workerd":
        # One router worker dispatching by Host or first path segment to the tenants' workers
        # through service bindings; the tenants are separate workers (their own isolates).
        router = os.path.join(d, f"workerd-router-{tag}.js")
        hosts = {host_of(i): f"t{i}" for i in range(1, count + 1) if by_host(i)}
        paths = {f"t{i}": f"t{i}" for i in range(1, count + 1) if not by_host(i)}
        with open(router, "w") as f:
            f.write(
                f"const HOSTS = new Map(Object.entries({json.dumps(hosts)}));\n"
                f"const PATHS = new Map(Object.entries({json.dumps(paths)}));\n"
                "export default {\n"
                "  fetch(request, env) {\n"
                "    const url = new URL(request.url);\n"
                "    const name = HOSTS.get(url.hostname) ?? PATHS.get(url.pathname.split('/', 2)[1]);\n"
                "    if (name === undefined) return new Response('{\"error\":\"no_route\"}', "
                "{ status: 404, headers: { 'content-type': 'application/json' } });\n"
                "    return env[name].fetch(request);\n"
                "  },\n"
                "};\n")
        path = os.path.join(d, f"workerd-{tag}.capnp")
        binds = ", ".join(f'(name = "t{i}", service = "t{i}")' for i in range(1, count + 1))
        out = ['using Workerd = import "/workerd/workerd.capnp";', "",
               "const config :Workerd.Config = (", "  services = [",
               f'    (name = "router", worker = (modules = [(name = "router", esModule = embed '
               f'"{os.path.basename(router)}")], compatibilityDate = "2025-01-01", '
               f"bindings = [{binds}])),"]
        for i in range(1, count + 1):
            out.append(f'    (name = "t{i}", worker = (modules = [(name = "worker", esModule = '
                       f'embed "scripts/t{i}.js")], compatibilityDate = "2025-01-01")),')
        out += ["  ],",
                f'  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), '
                'service = "router")],', ");"]
    elif kind == "node":
        path = os.path.join(d, f"node-{tag}.json")
        tenants = [{"name": f"t{i}", "script": f"scripts/t{i}.js", "routes": [route_of(i)]}
                   for i in range(1, count + 1)]
        out = [json.dumps({"context": context, "tenants": tenants})]
    else:
        sys.exit(f"config: unknown kind {kind}")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(path)


# --- HTTP ----------------------------------------------------------------------------------
def request_args(i):
    """(path, headers) that reach tenant i."""
    return ("/", {"Host": host_of(i)}) if by_host(i) else (f"/t{i}/", {})


def check(i, status, body):
    """None if tenant i answered correctly; exits MISROUTED on another tenant's body."""
    text = body.decode("utf-8", "replace")
    if status == 200 and text == body_of(i):
        return None
    if text.startswith("tenant "):
        path, headers = request_args(i)
        print(f"churn: MISROUTED: request for t{i} (GET {path} {headers or ''}) answered "
              f"{status} {text!r}, expected {body_of(i)!r}", file=sys.stderr)
        sys.exit(MISROUTED)
    return f"t{i}: status {status}, body {text[:200]!r}"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return s[s.rfind(")") + 2] != "Z"
    except OSError:
        return False


def wait(port, pid, t0, timeout, tenant=None):
    port, t0, deadline = int(port), float(t0), time.time() + float(timeout)
    last, answered = "no answer", None
    while time.time() < deadline:
        if answered is not None and time.time() - answered > 10:
            break  # up, but 10 s of wrong answers: not a slow start
        if not alive(pid):
            sys.exit(f"wait: server (pid {pid}) exited before answering ({last})")
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.05)
        except OSError as e:
            last = str(e)
            time.sleep(0.005)
            continue
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.sock = s
        s.settimeout(5)
        try:
            if tenant is None:
                conn.request("GET", "/", headers={"Host": "unrouted.invalid"})
                resp = conn.getresponse()
                resp.read()
                print(f"{time.time() - t0:.3f}")
                return
            path, headers = request_args(int(tenant))
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            err = check(int(tenant), resp.status, resp.read())
            if err is None:
                print(f"{time.time() - t0:.3f}")
                return
            last = err
            if resp.status != 503:  # 503 may mean "still loading"
                answered = answered or time.time()
            time.sleep(0.01)
        except (OSError, http.client.HTTPException) as e:
            last = str(e)
            time.sleep(0.01)
        finally:
            conn.close()
    sys.exit(f"wait: no answer from 127.0.0.1:{port} within {timeout} s ({last})")


def hit(port, tenant):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    path, headers = request_args(int(tenant))
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    err = check(int(tenant), resp.status, resp.read())
    conn.close()
    if err:
        sys.exit(f"hit: {err}")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def cold(port, pid, count):
    """One keep-alive connection; reconnects (and counts it) if the server closes it."""
    port, count = int(port), int(count)
    state = {"conn": None, "reconnects": -1}

    def get(i):
        path, headers = request_args(i)
        for attempt in (1, 2):
            if state["conn"] is None:
                state["conn"] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                state["conn"].connect()
                state["reconnects"] += 1
            t = time.perf_counter()
            try:
                state["conn"].request("GET", path, headers=headers)
                resp = state["conn"].getresponse()
                body = resp.read()
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                state["conn"].close()
                state["conn"] = None
                if attempt == 2:
                    raise
                continue
            dt = (time.perf_counter() - t) * 1000
            if resp.will_close:
                state["conn"].close()
                state["conn"] = None
            err = check(i, resp.status, body)
            if err:
                sys.exit(f"cold: {err}")
            return dt

    first = [get(1)]
    rss1 = rss_kb(pid)
    first += [get(i) for i in range(2, count + 1)]
    # Resident memory once the server had a moment to settle (atoll compacts the heap of a
    # tenant idle for a second); every server gets the same pause.
    time.sleep(SETTLE_S)
    rssn = rss_kb(pid)
    warm = [get(i) for i in range(1, count + 1)]
    out = {
        "cold_p50_ms": statistics.median(first), "cold_p99_ms": pct(first, 99),
        "cold_max_ms": max(first), "warm_p50_ms": statistics.median(warm),
        "warm_p99_ms": pct(warm, 99), "rss1_kb": rss1, "rssn_kb": rssn,
        "reconnects": state["reconnects"],
    }
    for k, v in out.items():
        print(f"{k}\t{v:.3f}" if isinstance(v, float) else f"{k}\t{v}")


# --- /proc ---------------------------------------------------------------------------------
def tree(root):
    root = int(root)
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            children.setdefault(int(s[s.rfind(")") + 2:].split()[1]), []).append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kb(root):
    total = 0
    for p in tree(root):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pool(log):
    found = None
    try:
        for line in open(log, errors="replace"):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("msg") == "pool stats":
                found = obj
    except OSError:
        pass
    for k in POOL_FIELDS:
        v = (found or {}).get(k)
        print(f"{k}\t{v if isinstance(v, (int, float)) and not isinstance(v, bool) else 'n/a'}")


# --- the table -----------------------------------------------------------------------------
def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _fmt(v, digits):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def table(tsv, out_md, readme=None):
    order, data, params, notes = [], {}, [], []
    for line in open(tsv):
        line = line.rstrip("\n")
        if line.startswith("# "):
            params.append(line[2:])
            continue
        f = line.split("\t")
        if len(f) < 3:
            continue
        server, key, value = f[0], f[1], "\t".join(f[2:])
        if server == "-":
            if key == "note":
                notes.append(value)
            else:
                data.setdefault("-", {})[key] = value
            continue
        if server not in data:
            order.append(server)
            data[server] = {}
        if key == "note":
            data[server].setdefault("notes", []).append(value)
        else:
            data[server][key] = value

    def g(s, k):
        return _num(data.get(s, {}).get(k))

    def cell(s, fn):
        d = data[s]
        if "version" not in d:
            return "not run"
        if d.get("failed"):
            return "FAILED"
        try:
            return fn(s, d)
        except (TypeError, ZeroDivisionError, ValueError):
            return "n/a"

    def pair(a, b, digits):
        return lambda s, d: ("n/a" if g(s, a) is None and g(s, b) is None
                             else f"{_fmt(g(s, a), digits)} / {_fmt(g(s, b), digits)}")

    def per_tenant(base):
        def fn(s, d):
            n, rn, r0 = g(s, "tenants"), g(s, "rssn_kb"), g(s, base)
            if None in (n, rn, r0) or n < 2:
                return "n/a"
            return f"{(rn - r0) / (n - 1) / 1024:.2f}"
        return fn

    def rps_pr(s, d):
        if d.get("rps_pr") is not None:
            return _fmt(g(s, "rps_pr"), 0)
        if s == "workerd" and g(s, "rps_shared") is not None:
            return f"no equivalent (normal: {_fmt(g(s, 'rps_shared'), 0)})"
        return "n/a"

    def churn_share(s, d):
        pr, sh = g(s, "cpu_us_pr"), g(s, "cpu_us_shared")
        if pr is None or sh is None:
            return "n/a"
        return f"{pr - sh:,.0f} of {pr:,.0f} µs ({(pr - sh) / pr * 100:.0f}%)"

    def startup(s, d):
        t = g(s, "startup_s")
        if t is None:
            return "n/a"
        n = int(g(s, "startup_tenants") or 0)
        cap = int(g(s, "startup_tenants_wanted") or n)
        return f"{t:.2f}" + (f" (capped: {n:,} tenants)" if n != cap else "")

    rows = [
        ("context mode in (a), (c), (d)", lambda s, d: d.get("mode", "n/a")),
        ("(a) first request to a cold tenant, p50 / p99 ms", pair("cold_p50_ms", "cold_p99_ms", 2)),
        ("(a) same tenants, second request, p50 / p99 ms", pair("warm_p50_ms", "warm_p99_ms", 2)),
        ("(b) per-request-context req/s, 1 core", rps_pr),
        ("(b) same tenant, shared context, req/s", lambda s, d: _fmt(g(s, "rps_shared"), 0)),
        ("(b) server CPU per request, per_request / shared, µs",
         pair("cpu_us_pr", "cpu_us_shared", 0)),
        ("(b) of which fresh-context cost", churn_share),
        ("(b) per-request req/s ÷ V8 floor (2,500 contexts/s)",
         lambda s, d: "-" if d.get("rps_pr") is None else f"{g(s, 'rps_pr') / V8_FLOOR_PER_S:.2f}"),
        ("(c) resident MB per tenant, vs a 1-tenant server", per_tenant("rss0_kb")),
        ("(c) resident MB per tenant, vs same process after 1 tenant", per_tenant("rss1_kb")),
        ("(c) RSS MB: 1-tenant server / N tenants served",
         lambda s, d: f"{_fmt(g(s, 'rss0_kb') / 1024, 0)} / {_fmt(g(s, 'rssn_kb') / 1024, 0)}"),
        ("(d) start-up to first 200, s", startup),
        ("(d) RSS MB right after that start-up",
         lambda s, d: _fmt(g(s, "startup_rss_kb") / 1024, 0)),
        ("(e) ready context from the pool, p50 / p99 µs",
         lambda s, d: (pair("context_take_us_p50", "context_take_us_p99", 1)(s, d)
                       if s == "atoll" else "-")),
    ]
    lines = ["| measure | " + " | ".join(order) + " |",
             "|---|" + "---:|" * len(order),
             "| version | " + " | ".join(data[s].get("version", "not run") for s in order) + " |"]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(cell(s, fn) for s in order) + " |")
    if "context_take_us_p50" in data.get("atoll", {}):
        extra = [f"{k}={data['atoll'].get(k, 'n/a')}" for k in
                 ("isolate_take_us_p50", "isolate_take_us_p99", "contexts_created",
                  "isolates_created", "evictions", "scripts_compiled", "code_cache_hits")]
        notes.insert(0, "atoll pool stats of the (b) per_request server: " + ", ".join(extra))
    floor = data.get("-", {})
    if floor.get("floor_ctx_per_s"):
        notes.insert(0, f"floor measured in this run (node, no HTTP, CPU-pinned): vm.createContext "
                        f"+ tenant script = {float(floor['floor_ctx_per_s']):,.0f}/s "
                        f"({1e6 / float(floor['floor_ctx_per_s']):.0f} µs each on average, GC "
                        f"included; {float(floor['floor_us']):.0f} µs median); V8's own floor on this machine "
                        f"(Context::New + trivial script) ≈ 345 µs median (≈2,500/s)")
    for s in order:
        for n in data[s].get("notes", []):
            notes.append(f"{s}: {n}")
    text = publish("Churn benchmark", [f"{p}." for p in params], lines, notes, out_md)
    if readme:
        update_readme(readme, text)


def update_readme(readme, text):
    old = open(readme).read()
    a = old.find("\n" + SECTION + "\n")
    if a < 0:
        section = f"{SECTION}\n\nSee bench/churn.sh.\n\n{START}\n{END}\n"
        old = old.rstrip("\n") + "\n\n" + section
        a = old.find("\n" + SECTION + "\n")
    b = old.find("\n## ", a + 1)  # the section runs to the next "## " heading or the end
    b = len(old) if b < 0 else b
    sec = old[a:b]
    s, e = sec.find(START), sec.find(END)
    if s < 0 or e < s:
        sys.exit(f"table: the {SECTION} section of {readme} lacks {START} / {END}")
    sec = sec[: s + len(START)] + "\n" + text + sec[e:]
    with open(readme, "w") as f:
        f.write(old[:a] + sec + old[b:])
    print(f"(updated the {SECTION} section of {readme})")


def main(argv):
    cmds = {
        "scripts": (scripts, 2), "config": (config, 6), "hit": (hit, 2), "cold": (cold, 3),
        "rss": (lambda p: print(rss_kb(p)), 1), "pool": (pool, 1),
    }
    if argv and argv[0] in cmds and len(argv) - 1 == cmds[argv[0]][1]:
        return cmds[argv[0]][0](*argv[1:])
    if argv and argv[0] == "wait" and len(argv) in (5, 6):
        return wait(*argv[1:])
    if argv and argv[0] == "table" and len(argv) in (3, 5):
        readme = argv[4] if len(argv) == 5 and argv[3] == "--readme" else None
        return table(argv[1], argv[2], readme)
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
