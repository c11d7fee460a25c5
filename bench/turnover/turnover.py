# Isolate turnover (issue 18): more tenants than `max_isolates`, asked in turn, so that every
# request finds its tenant evicted and gets a new isolate: the context, the module from the code
# cache and the first request on a fresh heap, each time. Two atoll binaries side by side
# (BENCH_ATOLL_BEFORE, optional, and BENCH_ATOLL), servers on CPU 0, the client on CPU 1, rounds
# alternating the servers. Per round: latency p50 / p99 of a request (send to last byte) and the
# server's CPU per request (utime + stime of its process tree from /proc).
# Usage: python3 bench/turnover/turnover.py [hono|hello]
# Env: BENCH_ATOLL (build/atoll), BENCH_ATOLL_BEFORE (unset: one column), ROUNDS (3),
#      REQUESTS (300 per round), TENANTS (3), MAX_ISOLATES (2), BENCH_PORT_BASE (18740).
# Traffic goes to 127.0.0.1 only; the servers are killed at the end.
import http.client, os, shutil, statistics, subprocess, sys, tempfile, time
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
import bench_client  # noqa: E402

root = os.path.abspath(os.path.join(here, "..", ".."))
kind = sys.argv[1] if len(sys.argv) > 1 else "hono"
rounds = int(os.environ.get("ROUNDS", "3"))
requests = int(os.environ.get("REQUESTS", "300"))
tenants = int(os.environ.get("TENANTS", "3"))
max_isolates = int(os.environ.get("MAX_ISOLATES", "2"))
port_base = int(os.environ.get("BENCH_PORT_BASE", "18740"))
binaries = {}
if os.environ.get("BENCH_ATOLL_BEFORE"):
  binaries["before"] = os.environ["BENCH_ATOLL_BEFORE"]
binaries["atoll"] = os.environ.get("BENCH_ATOLL", os.path.join(root, "build", "atoll"))
if kind == "hono":
  source = open(os.path.join(root, "build", "tests", "hono", "worker.js")).read()  # tests/hono, bundled by the build
  path = "/runtime"
else:
  source = open(os.path.join(root, "examples", "hello.js")).read()
  path = "/"
tck = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
  total = 0
  for p in bench_client.process_tree(pid):
    try:
      f = open(f"/proc/{p}/stat").read()
    except OSError:
      continue
    parts = f[f.rindex(")") + 2:].split()
    total += sum(int(x) for x in parts[11:15])
  return total / tck


def start(name, binary, port, work):
  d = os.path.join(work, name)
  os.makedirs(d)
  lines = ["[server]", f'listen = ["127.0.0.1:{port}"]', "workers = 1", f"max_isolates = {max_isolates}",
           'data_dir = "data"', ""]
  for i in range(1, tenants + 1):
    # A tenant's own copy of the bundle (its own code cache entry), routed by host.
    open(os.path.join(d, f"t{i}.js"), "w").write(f"// tenant {i}\n" + source)
    lines += ["[[tenants]]", f'name = "t{i}"', f'script = "t{i}.js"', f'routes = ["t{i}.test/*"]', ""]
  open(os.path.join(d, "atoll.toml"), "w").write("\n".join(lines))
  log = open(os.path.join(d, "server.log"), "w")
  proc = subprocess.Popen(["taskset", "-c", "0", binary, "serve", "--config", os.path.join(d, "atoll.toml")],
                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=d)
  bench_client.connect(port, path, {"host": "t1.test"}, hint=f" (see {d}/server.log)").close()
  return proc


def one_round(proc, port):
  c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
  latencies = []
  cpu0 = cpu_s(proc.pid)
  for n in range(requests):
    t = time.perf_counter()
    c.request("GET", path, headers={"host": f"t{n % tenants + 1}.test"})
    r = c.getresponse()
    body = r.read()
    latencies.append((time.perf_counter() - t) * 1e3)
    if r.status != 200 or not body:
      raise SystemExit(f"bad response {r.status}")
  cpu = (cpu_s(proc.pid) - cpu0) / requests * 1e3
  c.close()
  latencies.sort()
  return statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1], cpu


work = tempfile.mkdtemp(prefix="atoll-turnover-")
procs = {}
try:
  os.sched_setaffinity(0, {1})
  for i, (name, binary) in enumerate(binaries.items()):
    procs[name] = (start(name, binary, port_base + i, work), port_base + i)
  for name, (proc, port) in procs.items():
    one_round(proc, port)  # warm-up: every tenant's first isolate (and its first compile) is behind us
  results = {name: [] for name in procs}
  for r in range(rounds):
    for name, (proc, port) in procs.items():
      row = one_round(proc, port)
      results[name].append(row)
      print(f"round {r + 1} {name:7s} p50 {row[0]:6.2f} ms  p99 {row[1]:6.2f} ms  cpu {row[2]:6.2f} ms/request"
            f"  load {os.getloadavg()[0]:.2f}", flush=True)
  print(f"{kind}: {tenants} tenants, max_isolates = {max_isolates}, {requests} requests per round (medians of rounds)")
  for name, rows in results.items():
    print(f"  {name:7s} p50 {statistics.median(x[0] for x in rows):6.2f} ms  p99 {statistics.median(x[1] for x in rows):6.2f} ms"
          f"  cpu {statistics.median(x[2] for x in rows):6.2f} ms/request")
  for name, (proc, port) in procs.items():
    log = open(os.path.join(work, name, "server.log")).read()
    if '"evictions"' not in log:
      pass
finally:
  for proc, _ in procs.values():
    try:
      os.killpg(proc.pid, 15)
      proc.wait(timeout=10)
    except Exception:
      pass
  shutil.rmtree(work, ignore_errors=True)
