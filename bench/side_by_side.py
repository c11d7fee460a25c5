# Side by side, CPU per request (issue 18): two atoll binaries (BENCH_ATOLL_BEFORE, default
# /work/main/build/atoll, and BENCH_ATOLL, default build/atoll), deno and bun from bench/.peers,
# servers pinned to core 0, wrk -t1 -c50 to core 1, rounds in turn. CPU = utime+stime of each
# server's whole process tree from /proc, per completed request; the load average is printed next
# to every figure. Usage: python3 bench/side_by_side.py [hello|json]   (json: /?rows=20)
# Env: ROUNDS (3), DUR (5s), ONLY (e.g. "main,branch"), BENCH_PORT_BASE (18601), OUT_DIR (/tmp).
# At the end, per server: the minimum and median CPU per request and the max and median req/s.
import os, subprocess, sys, time, re, json, signal, statistics
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench_client  # noqa: E402
W = sys.argv[1] if len(sys.argv) > 1 else "hello"   # hello | json
ROUNDS = int(os.environ.get("ROUNDS", "3")); DUR = os.environ.get("DUR", "5s")
HOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = int(os.environ.get("BENCH_PORT_BASE", "18601")); OUT = os.environ.get("OUT_DIR", "/tmp")
BEFORE = os.environ.get("BENCH_ATOLL_BEFORE", "/work/main/build/atoll"); AFTER = os.environ.get("BENCH_ATOLL", HOT + "/build/atoll"); PEERS = HOT + "/bench/peers"; NM = HOT + "/bench/.peers/node_modules"
script = HOT + "/examples/hello.js" if W == "hello" else PEERS + "/json_worker.js"
path = "/" if W == "hello" else "/?rows=20"
servers = {
  "main": ([BEFORE, "serve", script, "--listen", f"127.0.0.1:{BASE}", "--workers", "1"], BASE, {}),
  "branch": ([AFTER, "serve", script, "--listen", f"127.0.0.1:{BASE+1}", "--workers", "1"], BASE + 1, {}),
  "deno": ([NM + "/@deno/linux-x64-glibc/deno", "run", "--allow-net=127.0.0.1", PEERS + f"/deno_{W}.js", str(BASE + 2)], BASE + 2,
           {"DENO_NO_UPDATE_CHECK": "1", "DENO_DIR": HOT + "/bench/.peers/deno-dir"}),
  "bun": ([NM + "/bun/bin/bun.exe", PEERS + f"/bun_{W}.js", str(BASE + 3)], BASE + 3, {"DO_NOT_TRACK": "1"}),
}
only = os.environ.get("ONLY")
if only: servers = {k: v for k, v in servers.items() if k in only.split(",")}
tck = os.sysconf("SC_CLK_TCK")
def cpu(root):
  """utime and stime (with reaped children's) of `root`'s whole process tree, in seconds."""
  u = s = 0
  for pid in bench_client.process_tree(root):
    try: f = open(f"/proc/{pid}/stat").read()
    except OSError: continue
    parts = f[f.rindex(")") + 2:].split(); u += int(parts[11]) + int(parts[13]); s += int(parts[12]) + int(parts[14])
  return u / tck, s / tck
procs = {}
for name, (cmd, port, env) in servers.items():
  e = dict(os.environ); e.update(env)
  procs[name] = subprocess.Popen(["taskset", "-c", "0"] + cmd, cwd=PEERS, env=e, start_new_session=True,
                                 stdout=open(f"{OUT}/side-{name}.log", "w"), stderr=subprocess.STDOUT)
time.sleep(3)
def wrk(port, dur):
  out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50", "-d" + dur, f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=120).stdout
  reqs = int(re.search(r"(\d+) requests in", out).group(1)); rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
  return reqs, rps
try:
  for name, (_, port, _) in servers.items(): wrk(port, "2s")  # warm-up
  rows = []
  for r in range(ROUNDS):
    for name, (_, port, _) in servers.items():
      pg = procs[name].pid; u0, s0 = cpu(pg); la = os.getloadavg()[0]
      reqs, rps = wrk(port, DUR); u1, s1 = cpu(pg)
      us = (u1 - u0 + s1 - s0) / reqs * 1e6
      rows.append((r + 1, name, us, (u1 - u0) / reqs * 1e6, (s1 - s0) / reqs * 1e6, rps, la))
      print(f"round {r+1} {name:7s} cpu {us:6.2f} us/req (user {(u1-u0)/reqs*1e6:5.2f} sys {(s1-s0)/reqs*1e6:5.2f})  {rps:9.0f} req/s  load {la:.2f}", flush=True)
  json.dump(rows, open(f"{OUT}/side-rows-{W}-{int(time.time())}.json", "w"))
  # Rounds here move by up to +-30% with the machine: the minimum and the median of interleaved
  # rounds are the figures to compare; ratios are to the first server of the run.
  first = None
  for name in servers:
    cpus = sorted(r[2] for r in rows if r[1] == name); rates = sorted(r[5] for r in rows if r[1] == name)
    summary = (cpus[0], statistics.median(cpus), rates[-1], statistics.median(rates))
    first = first or summary
    print(f"{name:7s} cpu us/req min {summary[0]:6.2f} median {summary[1]:6.2f} ({summary[0] / first[0]:.2f}x / "
          f"{summary[1] / first[1]:.2f}x)  req/s max {summary[2]:9.0f} median {summary[3]:9.0f}", flush=True)
finally:
  for p in procs.values():
    try: os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError: pass
  for p in procs.values(): p.wait(timeout=10)
