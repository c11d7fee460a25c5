# Instructions per request under callgrind (issue 18): the helper of bench/instructions.sh.
# Starts SERVER (a command line) under `valgrind --tool=callgrind --separate-threads=yes
# --trace-children=yes`, waits for PORT, sends WARM keep-alive requests, then two measured phases
# of N1 and N2 requests on one keep-alive connection; before each phase the counters are zeroed
# (callgrind_control -z) and after it dumped (callgrind_control -d). Instructions per request =
# (I(N2) - I(N1)) / (N2 - N1), summed over every thread of every process (the server's
# supervisor, its worker's event loop, the CPU watchdog, V8's helpers). With TOP > 0 it also
# prints the top functions by inclusive cost per request, from callgrind_annotate of each phase's
# dump of the busiest thread (the difference of the two, per request).
# Loopback only, bounded: a request waits at most 30 s, the whole run at most N1 + N2 + WARM
# requests. Usage (env): SERVER="build/atoll serve examples/hello.js --listen 127.0.0.1:18700
#   --workers 1" PORT=18700 PATH_=/ N1=200 N2=1200 WARM=300 TOP=25 OUT=/tmp/hotd-cg python3 ...
import glob, http.client, os, re, shlex, signal, socket, subprocess, sys, time

server = shlex.split(os.environ["SERVER"])
port = int(os.environ.get("PORT", "18700"))
path = os.environ.get("PATH_", "/")
n1, n2 = int(os.environ.get("N1", "200")), int(os.environ.get("N2", "1200"))
warm = int(os.environ.get("WARM", "300"))
top = int(os.environ.get("TOP", "0"))
out = os.environ.get("OUT", "/tmp/hotd-cg")
headers = {"x-request-id": "12345"}
os.makedirs(out, exist_ok=True)
for f in glob.glob(out + "/callgrind.out.*"):
  os.unlink(f)

cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--trace-children=yes",
       f"--callgrind-out-file={out}/callgrind.out.%p", "--dump-instr=no", "--collect-jumps=no",
       "--smc-check=all-non-file"] + server
log = open(out + "/server.log", "w")
proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def pids_under_valgrind():
  # Every process of the server's tree (supervisor and workers, each under valgrind; workers
  # run in their own session, so the tree is followed by parent pid).
  parent = {}
  for p in os.listdir("/proc"):
    if not p.isdigit():
      continue
    try:
      stat = open(f"/proc/{p}/stat").read()
      parent[int(p)] = int(stat[stat.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
      continue
  tree, grew = {proc.pid}, True
  while grew:
    grew = False
    for pid, pp in parent.items():
      if pid not in tree and pp in tree:
        tree.add(pid)
        grew = True
  return sorted(tree)


def control(flag):
  for pid in pids_under_valgrind():
    subprocess.run(["callgrind_control", flag, str(pid)], capture_output=True, timeout=120)


def totals():
  # The last dump of every thread of every process: {file: instructions}.
  last = {}
  for f in glob.glob(out + "/callgrind.out.*"):
    m = re.match(r".*callgrind\.out\.(\d+)\.(\d+)-(\d+)$", f)
    if not m:
      continue
    key = (m.group(1), m.group(3))
    if key not in last or int(m.group(2)) > int(last[key][0]):
      last[key] = (m.group(2), f)
  result = {}
  for key, (_, f) in last.items():
    ir = 0
    for line in open(f):
      if line.startswith("summary:") or line.startswith("totals:"):
        ir = int(line.split()[1])
        break
    result[key] = (ir, f)
  return result


def connect():
  deadline = time.time() + 120
  while time.time() < deadline:
    try:
      c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
      c.request("GET", path, headers=headers)
      r = c.getresponse()
      r.read()
      if r.status == 200:
        return c
    except (OSError, http.client.HTTPException):
      time.sleep(0.5)
  raise SystemExit("server did not answer on 127.0.0.1:%d (see %s/server.log)" % (port, out))


def send(c, n):
  for _ in range(n):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or not body:
      raise SystemExit(f"bad response {r.status}")


def phase(c, n):
  control("-z")
  send(c, n)
  time.sleep(0.2)
  control("-d")
  time.sleep(0.5)
  return totals()


try:
  c = connect()
  send(c, warm)
  a = phase(c, n1)
  b = phase(c, n2)
  ia, ib = sum(v[0] for v in a.values()), sum(v[0] for v in b.values())
  per = (ib - ia) / (n2 - n1)
  print(f"instructions per request: {per:,.0f}  (I({n1}) = {ia:,}, I({n2}) = {ib:,}; {len(b)} threads)")
  for key in sorted(b, key=lambda k: -(b[k][0] - a.get(k, (0,))[0])):
    d = (b[key][0] - a.get(key, (0,))[0]) / (n2 - n1)
    if abs(d) >= 50:
      print(f"  pid {key[0]} thread {key[1]}: {d:,.0f} per request")
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
finally:
  try:
    os.killpg(proc.pid, signal.SIGTERM)
  except ProcessLookupError:
    pass
  try:
    proc.wait(timeout=60)
  except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
