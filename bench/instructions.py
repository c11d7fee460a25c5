# Instructions per request under callgrind (issue 18): the helper of bench/instructions.sh.
# Runs SERVER (a command line) twice under `valgrind --tool=callgrind --separate-threads=yes
# --trace-children=yes`; each time waits for PORT, sends WARM keep-alive requests then N1 (the
# first run) or N2 (the second) more on the same connection without a pause, and stops the server
# (SIGTERM); callgrind writes every thread's count at exit. Instructions per request =
# (I(N2) - I(N1)) / (N2 - N1), summed over every thread of every process (the supervisor, the
# worker's event loop, the CPU watchdog, V8's compiler and GC threads): start-up, warm-up and
# shutdown are the same in both runs and cancel. No pause: a pause of a second would let the
# isolate cache's idle GC (idle_before_reduce_ms) run, whose memory-reducing GC deoptimizes the
# tenant's optimized code and recompiles it in the next requests, a cost load does not pay.
# With TOP > 0 it also prints the top functions of the busiest thread by inclusive cost per request
# (callgrind_annotate of both runs' dumps, the difference per request).
# With CACHE_SIM=1 callgrind also simulates the caches (--cache-sim=yes: 32 KB 8-way L1s and the
# host's last level) and the L1 misses per request are printed too (valgrind's CG_OPTS, e.g.
# "--D1=65536,8,64", passed through).
# Loopback only, bounded: a request waits at most 30 s, a run at most WARM + N2 requests.
# Usage (env): SERVER="..." PORT=18700 PATH_=/ N1=200 N2=3200 WARM=5000 TOP=25 OUT=/tmp/x python3 ...
import glob, os, re, shlex, signal, socket, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench_client  # noqa: E402

server = shlex.split(os.environ["SERVER"])
port = int(os.environ.get("PORT", "18700"))
path = os.environ.get("PATH_", "/")
n1, n2 = int(os.environ.get("N1", "200")), int(os.environ.get("N2", "3200"))
warm = int(os.environ.get("WARM", "5000"))
top = int(os.environ.get("TOP", "0"))
out = os.environ.get("OUT", "/tmp/hotd-cg")
headers = {"x-request-id": "12345"}
os.makedirs(out, exist_ok=True)
for f in glob.glob(out + "/callgrind.out.*"):
  os.unlink(f)

cache_sim = os.environ.get("CACHE_SIM") == "1"
cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--trace-children=yes",
       "--dump-instr=no", "--collect-jumps=no", "--smc-check=all-non-file"]
if cache_sim:
  cmd += ["--cache-sim=yes"] + os.environ.get("CG_OPTS", "").split()
# The events summed besides instructions (Ir, always first), when the caches are simulated.
MISSES = ["I1mr", "D1mr", "D1mw"]


def pids_under_valgrind():
  # Every process of the server's tree (supervisor and workers, each under valgrind).
  return sorted(bench_client.process_tree(proc.pid))


def totals(run_dir):
  # {(pid, thread): (instructions, file, {miss event: count})} of the dumps written at exit.
  result = {}
  for f in glob.glob(run_dir + "/callgrind.out.*"):
    m = re.match(r".*callgrind\.out\.(\d+)-(\d+)$", f)
    if not m:
      continue
    ir, events, misses = 0, ["Ir"], {}
    for line in open(f):
      if line.startswith("events:"):
        events = line.split()[1:]
      if line.startswith("summary:") or line.startswith("totals:"):
        counts = dict(zip(events, (int(x) for x in line.split()[1:])))
        ir = counts.get("Ir", 0)
        misses = {e: counts.get(e, 0) for e in MISSES}
        break
    result[(m.group(1), m.group(2))] = (ir, f, misses)
  return result


def connect():
  return bench_client.connect(port, path, headers, wait_s=120, hint=f" (see {out}/server.log)")


def send(c, n):
  bench_client.send(c, path, n, headers)


def run(n, tag):
  global proc
  run_dir = f"{out}/{tag}"
  os.makedirs(run_dir, exist_ok=True)
  for f in glob.glob(run_dir + "/callgrind.out.*"):
    os.unlink(f)
  log = open(f"{run_dir}/server.log", "w")
  proc = subprocess.Popen(cmd + [f"--callgrind-out-file={run_dir}/callgrind.out.%p"] + server, stdout=log,
                          stderr=subprocess.STDOUT, start_new_session=True)
  try:
    c = connect()
    send(c, warm + n)
    c.close()
  finally:
    try:
      os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
      pass
    try:
      proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
      os.killpg(proc.pid, signal.SIGKILL)
      proc.wait()
  time.sleep(1)
  return totals(run_dir)


proc = None
if __name__ == "__main__":
  a = run(n1, "a")
  b = run(n2, "b")
  ia, ib = sum(v[0] for v in a.values()), sum(v[0] for v in b.values())

  def by_role(t):
    # Processes ranked by their instructions (the worker first), threads by their number.
    procs = sorted({k[0] for k in t}, key=lambda p: -sum(v[0] for k, v in t.items() if k[0] == p))
    return {(f"process {procs.index(k[0]) + 1}", k[1]): v for k, v in t.items()}

  a, b = by_role(a), by_role(b)
  per = (ib - ia) / (n2 - n1)
  print(f"instructions per request: {per:,.0f}  (I({n1}) = {ia:,}, I({n2}) = {ib:,}; {len(b)} threads)")
  if cache_sim:
    print("L1 misses per request: " + ", ".join(
        f"{e} {(sum(v[2][e] for v in b.values()) - sum(v[2][e] for v in a.values())) / (n2 - n1):,.0f}" for e in MISSES))
  for key in sorted(b, key=lambda k: -(b[k][0] - a.get(k, (0,))[0])):
    d = (b[key][0] - a.get(key, (0,))[0]) / (n2 - n1)
    if abs(d) >= 50:
      print(f"  {key[0]} thread {key[1]}: {d:,.0f} per request")
  if top > 0:
    # The busiest thread's inclusive cost per function, phase b minus phase a, per request.
    key = max(b, key=lambda k: b[k][0] - a.get(k, (0,))[0])

    def annotate(f):
      res = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", f],
                           capture_output=True, text=True).stdout
      cost = {}
      for line in res.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(?:\*\s+)?(.*)$", line)
        if m and ":" in m.group(2):
          name = m.group(2).strip()
          cost[name] = cost.get(name, 0) + int(m.group(1).replace(",", ""))
      return cost

    ca, cb = annotate(a[key][1]), annotate(b[key][1])
    rows = sorted(((cb[k] - ca.get(k, 0)) / (n2 - n1), k) for k in cb)
    print(f"top functions of thread {key[1]}, inclusive instructions per request:")
    for v, k in rows[::-1][:top]:
      print(f"  {v:10,.0f}  {k[:150]}")
