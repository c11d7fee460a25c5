# Shared by the Python benchmark drivers (instructions.py, idle_gc.py, side_by_side.py): the server's process
# tree and a keep-alive client on 127.0.0.1.
import http.client, os, time


def process_tree(root):
  """The pids of `root` and every descendant (followed by parent pid: workers run in their own
  session, so a process group would miss them)."""
  parent = {}
  for p in os.listdir("/proc"):
    if not p.isdigit():
      continue
    try:
      stat = open(f"/proc/{p}/stat").read()
      parent[int(p)] = int(stat[stat.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
      continue
  tree, grew = {root}, True
  while grew:
    grew = False
    for pid, pp in parent.items():
      if pid not in tree and pp in tree:
        tree.add(pid)
        grew = True
  return tree


def connect(port, path, headers=None, wait_s=60, hint=""):
  """A keep-alive connection to 127.0.0.1:`port`, once GET `path` answers 200 (within `wait_s`)."""
  deadline = time.time() + wait_s
  while time.time() < deadline:
    try:
      c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
      c.request("GET", path, headers=headers or {})
      r = c.getresponse()
      r.read()
      if r.status == 200:
        return c
    except (OSError, http.client.HTTPException):
      time.sleep(0.1)
  raise SystemExit(f"server did not answer on 127.0.0.1:{port}{hint}")


def send(c, path, n, headers=None):
  """`n` GETs of `path` on `c`; exits unless each is a 200 with a body."""
  for _ in range(n):
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or not body:
      raise SystemExit(f"bad response {r.status}")
