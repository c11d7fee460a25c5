#!/usr/bin/env python3
"""Helpers for bench/run.sh: free ports, process-tree CPU time, wrk output parsing, the table.

  report.py freeport                  a free TCP port on 127.0.0.1
  report.py cputicks PID              utime+stime (clock ticks) of PID and all its descendants
  report.py parse WRK_OUTPUT          one TSV line: requests seconds rps p50_ms p99_ms errors
  report.py table RUNS_TSV NOTES OUT_MD WORKLOAD [--readme README.md]
                                      render the table to stdout and OUT_MD (and README.md)
"""
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
# The README section each workload's table replaces.
README_MARKERS = {"hello": "results", "json": "json-results", "json-rows": "json-rows-results"}
TITLES = {"hello": "Hello-world peer benchmark", "json": "JSON peer benchmark",
          "json-rows": "JSON peer benchmark (BENCH_JSON_ROWS items)"}


def freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def replace_section(readme, start, end, text):
    """Puts `text` between the `start` and `end` markers of `readme`; False if it lacks them."""
    with open(readme) as f:
        old = f.read()
    a, b = old.find(start), old.find(end)
    if a < 0 or b < a:
        return False
    with open(readme, "w") as f:
        f.write(old[: a + len(start)] + "\n" + text + old[b:])
    print(f"(updated {readme})")
    return True


def alternate_rounds(tag, rounds, servers, measure, tmp_prefix, after_round=None):
    """{name: [measure(name, binary, tmp, logs, round), ...]}: `rounds` rounds, the servers in turn
    in each (a failed measure is reported on stderr and left out); after_round() after each."""
    logs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "logs")
    os.makedirs(logs, exist_ok=True)
    results = {name: [] for name, _ in servers}
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as tmp:
        for rnd in range(1, rounds + 1):
            for name, binary in servers:
                print(f"{tag}: round {rnd}: {name} (load {os.getloadavg()[0]:.1f})", file=sys.stderr)
                try:
                    results[name].append(measure(name, binary, tmp, logs, rnd))
                except (RuntimeError, OSError) as e:
                    print(f"{tag}: {name}: {e}", file=sys.stderr)
            if after_round:
                after_round()
    return results


def median_cell(vals, digits):
    """"M (MIN-MAX)" of `vals` with `digits` decimals ("M" alone for one value, "n/a" for none)."""
    if not vals:
        return "n/a"
    spread = f" ({min(vals):.{digits}f}-{max(vals):.{digits}f})" if len(vals) > 1 else ""
    return f"{statistics.median(vals):.{digits}f}{spread}"


def emit_table(lines, out_md, readme=None, start=None, end=None):
    """Prints the table's `lines`, writes them to out_md and, given `readme`, between its markers."""
    text = "\n".join(lines) + "\n"
    print(text)
    with open(out_md, "w") as f:
        f.write(text)
    if readme:
        replace_section(readme, start, end, text)


def run_main(argv, run, doc):
    """`run OUT_MD NAME=BINARY... [--readme README.md]` -> run(OUT_MD, [(NAME, BINARY)...], README)."""
    if len(argv) >= 3 and argv[0] == "run":
        readme = None
        args = argv[2:]
        if len(args) >= 2 and args[-2] == "--readme":
            readme, args = args[-1], args[:-2]
        return run(argv[1], [tuple(a.split("=", 1)) for a in args], readme)
    sys.exit(doc)


def _stat(pid):
    """(ppid, ticks) from /proc/PID/stat; ticks = utime+stime+cutime+cstime (reaped children)."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rfind(")") + 2:].split()  # rest[0] is field 3 (state); field n is rest[n-3]
    return int(rest[1]), sum(int(x) for x in rest[11:15])


def cputicks(root):
    root = int(root)
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                procs[int(d)] = _stat(d)
            except (OSError, IndexError, ValueError):
                pass  # exited while we looked
    if root not in procs:
        sys.exit(f"cputicks: no process {root}")
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += procs[pid][1]
        todo.extend(children.get(pid, []))
    print(total)


def _ms(value):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not m:
        raise ValueError(f"bad wrk latency {value!r}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse(path):
    text = open(path).read()
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (m and rps and p50 and p99):
        sys.exit(f"parse: no wrk summary in {path}")
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    secs = _ms(m.group(2) + m.group(3)) / 1000
    print(f"{m.group(1)}\t{secs:.2f}\t{rps.group(1)}\t{_ms(p50.group(1)):.3f}\t"
          f"{_ms(p99.group(1)):.3f}\t{errors}")


def machine():
    """"N cores, CPU model, Linux release" for the header of a results table."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{nproc} cores, {model}, Linux {platform.release()}"


def publish(title, header_lines, table_lines, notes, out_md):
    """Writes a results page (run time and machine, header lines, the table, notes) to out_md,
    prints it, and returns its text (without the title) for the README."""
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    body = [f"Run {when} on {machine()}."] + header_lines + [""] + table_lines
    if notes:
        body += ["", "Notes:"] + [f"- {n}" for n in notes]
    text = "\n".join(body) + "\n"
    with open(out_md, "w") as f:
        f.write(f"# {title}: latest run\n\n" + text)
    print(text, end="")
    return text


def table(runs_tsv, notes_path, out_md, workload, readme=None):
    # runs.tsv: server version run requests seconds rps p50 p99 errors cpu_ticks clk_tck
    order, rows = [], {}
    params = ""
    for line in open(runs_tsv):
        if line.startswith("#"):
            params = line[1:].strip()
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) < 11:
            continue
        name, version = f[0], f[1]
        requests, rps, p50, p99 = int(f[3]), float(f[5]), float(f[6]), float(f[7])
        cpu_ms = int(f[9]) * 1000 / int(f[10])
        if name not in rows:
            order.append(name)
            rows[name] = {"version": version, "rps": [], "p50": [], "p99": [], "cpu": []}
        r = rows[name]
        r["rps"].append(rps)
        r["p50"].append(p50)
        r["p99"].append(p99)
        r["cpu"].append(cpu_ms * 100_000 / requests if requests else float("nan"))

    med = statistics.median
    atoll = med(rows["atoll"]["rps"]) if "atoll" in rows else None
    lines = [
        "| server | version | req/s (median) | req/s min-max | p50 ms | p99 ms "
        "| CPU ms / 100k req | atoll/peer |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in order:
        r = rows[name]
        rps = med(r["rps"])
        if name == "atoll":
            ratio = "-"
        elif atoll is None:
            ratio = "n/a"
        else:
            ratio = f"{atoll / rps:.2f}"
        lines.append(
            f"| {name} | {r['version']} | {rps:,.0f} | {min(r['rps']):,.0f}-{max(r['rps']):,.0f} "
            f"| {med(r['p50']):.2f} | {med(r['p99']):.2f} | {med(r['cpu']):,.0f} | {ratio} |")
    notes = [n.strip() for n in open(notes_path) if n.strip()] if os.path.exists(notes_path) else []
    text = publish(TITLES[workload], [f"Parameters: {params}."], lines, notes, out_md)
    if readme:
        start, end = f"<!-- {README_MARKERS[workload]}:start -->", f"<!-- {README_MARKERS[workload]}:end -->"
        if not replace_section(readme, start, end, text):
            sys.exit(f"table: {readme} lacks the {start} / {end} markers")


def main(argv):
    if len(argv) >= 1 and argv[0] == "freeport":
        return freeport()
    if len(argv) == 2 and argv[0] == "cputicks":
        return cputicks(argv[1])
    if len(argv) == 2 and argv[0] == "parse":
        return parse(argv[1])
    if len(argv) in (5, 7) and argv[0] == "table" and argv[4] in TITLES:
        readme = argv[6] if len(argv) == 7 and argv[5] == "--readme" else None
        return table(argv[1], argv[2], argv[3], argv[4], readme)
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
