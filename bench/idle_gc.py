# The idle GC's cost to a bursty tenant (issue 18): the helper of bench/idle_gc.sh.
# Starts SERVER (a command line, output to OUT/server.log), waits for PORT, sends WARM keep-alive
# requests on one connection, then ROUNDS pairs of bursts of BURST requests: one right after the
# previous burst ("hot") and one after IDLE seconds without a request ("idle"). Per burst it
# prints the server's CPU (sum_exec_runtime of every thread of every process of its tree, from
# /proc/*/task/*/schedstat, ns resolution) and the "marking dependent code" lines (deoptimizations
# of optimized code, printed with ATOLL_V8_FLAGS=--trace-deopt) the server logged meanwhile, then
# the worker's resident MB after the last idle period. MODE=hot or MODE=idle makes every burst of
# that kind instead. CALLGRIND=1 runs the server under `valgrind --tool=callgrind` and prints the
# instructions of every thread of every process at exit: MODE=idle minus MODE=hot, divided by
# ROUNDS, is what one idle period costs, deterministically (with --no-concurrent-recompilation,
# as bench/instructions.sh). Loopback only, bounded by its counts.
import glob, os, shlex, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench_client  # noqa: E402

server = shlex.split(os.environ["SERVER"])
port = int(os.environ.get("PORT", "18850"))
path = os.environ.get("PATH_", "/")
warm, burst = int(os.environ.get("WARM", "5000")), int(os.environ.get("BURST", "1000"))
rounds, idle = int(os.environ.get("ROUNDS", "5")), float(os.environ.get("IDLE", "1.5"))
out = os.environ.get("OUT", "/tmp/idlegc")
mode = os.environ.get("MODE", "alternate")
callgrind = os.environ.get("CALLGRIND") == "1"
os.makedirs(out, exist_ok=True)
if callgrind:
  for f in glob.glob(out + "/callgrind.out.*"):
    os.unlink(f)
  server = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--dump-instr=no", "--collect-jumps=no",
            "--smc-check=all-non-file", f"--callgrind-out-file={out}/callgrind.out.%p"] + server
log_path = out + "/server.log"
log = open(log_path, "w")
proc = subprocess.Popen(server, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def tree():
  return bench_client.process_tree(proc.pid)


def cpu_ns():
  total = 0
  for pid in tree():
    try:
      for t in os.listdir(f"/proc/{pid}/task"):
        total += int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
    except OSError:
      pass
  return total


def rss_mb():
  # The busiest process of the tree (the worker) by resident memory.
  best = 0
  for pid in tree():
    try:
      for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
          best = max(best, int(line.split()[1]))
    except OSError:
      pass
  return best / 1024


def deopts():
  log.flush()
  return sum(1 for line in open(log_path, errors="replace") if "marking dependent code" in line)


def connect():
  return bench_client.connect(port, path)


def send(c, n):
  bench_client.send(c, path, n)


try:
  c = connect()
  send(c, warm)
  rows = []
  for r in range(rounds):
    for kind in {"alternate": ("hot", "idle"), "hot": ("hot",), "idle": ("idle",)}[mode]:
      if kind == "idle":
        time.sleep(idle)
      d0, t0 = deopts(), cpu_ns()
      send(c, burst)
      rows.append((kind, (cpu_ns() - t0) / 1e6, deopts() - d0))
  time.sleep(idle)
  rss_idle = rss_mb()
  for kind, ms, d in rows:
    print(f"{kind:5s} cpu_ms={ms:6.1f} deopt_marks={d}")
  for kind in ("hot", "idle"):
    v = sorted(ms for k, ms, _ in rows if k == kind)
    if not v:
      continue
    print(f"median {kind}: {v[len(v) // 2]:.1f} ms per burst of {burst}")
  print(f"worker rss after {idle}s idle: {rss_idle:.1f} MB; load {open('/proc/loadavg').read().split()[:3]}")
finally:
  os.killpg(proc.pid, signal.SIGTERM)
  proc.wait(timeout=120)
if callgrind:
  total = 0
  time.sleep(1)
  for f in glob.glob(out + "/callgrind.out.*"):
    for line in open(f, errors="replace"):
      if line.startswith("summary:") or line.startswith("totals:"):
        total += int(line.split()[1])
        break
  print(f"instructions, every process at exit: {total}")
