#!/usr/bin/env python3
"""The hostile suite of issue 12 as a table (bench/hostile.sh runs it). Python 3 stdlib + wrk.

Part 1, under load: for every case of cases.py, a fresh `atoll serve --workers 1` (under
nofile 1024) with a victim tenant and the attacker; wrk measures the victim alone (baseline),
then again while the attack runs, side by side in the same process. A row says what the
attacker got, the victim's rate as a ratio of its baseline, the victim's failed requests,
worker processes that died, whether both tenants answer afterwards (recovery), and how long
SIGTERM took to stop the server. Contained (issue 12's acceptance) = the attacker got what
`expect` says, the victim kept >= 50% of its rate, no worker died, both answer afterwards, and
SIGTERM stopped the server within drain_ms; victim requests that failed are shown beside it.

Part 2: the regression tests (build/tests/hostile_*_test), one row per test, with the issue
item, attack and expectation from the `// Issue 12 item N: ...` comment above each test.

  hostile.py [--atoll build/atoll] [--duration 4] [--cases SUBSTRING] [--readme tests/README.md]
"""
import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import CASES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VICTIM = 'export default { fetch() { return new Response("victim"); } };\n'
DRAIN_MS = 10000
START, END = "<!-- hostile:start -->", "<!-- hostile:end -->"


def bomb(path):
    """gzip(gzip(1 GiB of zeros)): a few KB that inflate to 1 GiB."""
    if os.path.exists(path):
        return path
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [inner.compress(zeros) for _ in range(1024)] + [inner.flush()]
    once = b"".join(parts)
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(outer.compress(once) + outer.flush())
    return path


class Server:
    """atoll serve --workers 1 on 127.0.0.1:0 with the victim and one attacker tenant."""

    def __init__(self, atoll, work, case):
        self.work = work
        with open(os.path.join(work, "victim.js"), "w") as f:
            f.write(VICTIM)
        with open(os.path.join(work, "attacker.js"), "w") as f:
            f.write(case["script"])
        services = "".join(f'[tenants.services]\n{k} = "{v}"\n' for k, v in case.get("services", {}).items())
        config = (f'[server]\nlisten = ["127.0.0.1:0"]\ndata_dir = "{work}/data"\ndrain_ms = {DRAIN_MS}\n\n'
                  '[[tenants]]\nname = "victim"\nscript = "victim.js"\nroutes = ["victim.test/*"]\n\n'
                  '[[tenants]]\nname = "self"\nscript = "attacker.js"\nroutes = ["attacker.test/*"]\n'
                  + case.get("tenant", "") + services)
        with open(os.path.join(work, "atoll.toml"), "w") as f:
            f.write(config)
        self.log_path = os.path.join(work, "log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["prlimit", "--nofile=1024:1024", atoll, "serve", "--config",
                                      os.path.join(work, "atoll.toml"), "--workers", "1", "--no-access-log"],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = 0
        deadline = time.time() + 15
        while time.time() < deadline and not self.port:
            m = re.search(r'"msg":"listening","address":"127\.0\.0\.1:(\d+)', self.text())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)
        if not self.port:
            raise RuntimeError("atoll did not start:\n" + self.text())

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def deaths(self):
        return self.text().count('"msg":"worker exited"')

    def stop(self):
        """SIGTERM; milliseconds until the process was gone (None: killed after drain_ms + 5 s)."""
        start = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=DRAIN_MS / 1000 + 5)
            took = int((time.time() - start) * 1000)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            took = None
        self.log.close()
        return took


def request(port, host, path="/", body=b"", timeout=35.0):
    """One request on a fresh connection: (status, body bytes); status 0 = no answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            method = "POST" if body else "GET"
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        m = re.match(rb"HTTP/1\.1 (\d+)", data)
        return (int(m.group(1)) if m else 0), data.split(b"\r\n\r\n", 1)[-1]
    except OSError:
        return 0, b""


class Attack(threading.Thread):
    """Drives one case's attack until stop() (see cases.py for the modes)."""

    def __init__(self, case, port, body):
        super().__init__(daemon=True)
        self.case, self.port, self.body = case, port, body
        self.statuses, self.bodies, self.streamed, self.held = [], [], 0, 0
        self.done = threading.Event()

    def run(self):
        mode = self.case["mode"]
        if mode == "conns":
            socks = []
            for _ in range(self.case["count"]):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", self.port), timeout=2))
                except OSError:
                    break
            self.held = len(socks)
            self.done.wait()
            for s in socks:
                s.close()
            return
        if mode == "stream":
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: attacker.test\r\nConnection: close\r\n\r\n")
                    head = b""
                    while not self.done.is_set():
                        chunk = s.recv(1 << 20)
                        if not chunk:
                            break
                        if not self.statuses:
                            head += chunk
                            m = re.match(rb"HTTP/1\.1 (\d+)", head)
                            if m:
                                self.statuses.append(int(m.group(1)))
                        self.streamed += len(chunk)
            except OSError:
                pass
            return
        while not self.done.is_set():
            status, answer = request(self.port, "attacker.test", "/", self.body)
            self.statuses.append(status)
            if status == 200:
                self.bodies.append(answer.decode("utf-8", "replace"))
            if mode == "once":
                return
            self.done.wait(0.2)

    def stop(self):
        self.done.set()
        self.join(timeout=40)


def wrk(port, duration):
    """Victim's req/s, failed requests (non-2xx + socket errors) and, of those, wrk's timeouts
    (an answer slower than 2 s) over `duration` seconds."""
    out = subprocess.run(["wrk", "-t1", "-c8", f"-d{duration}s", "-H", "Host: victim.test",
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
    rate = float((re.search(r"Requests/sec:\s+([\d.]+)", out) or [0, 0])[1])
    failed = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    timeouts = 0
    errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        failed += sum(int(x) for x in errors.groups())
        timeouts = int(errors.group(4))
    return rate, failed, timeouts


def summarize(statuses):
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{s or 'none'}x{n}" for s, n in sorted(counts.items())) or "no answer"


def kills(log):
    found = re.findall(r'"msg":"limit hit: isolate discarded"[^\n]*"error":"(\w+)"', log)
    counts = {}
    for k in found:
        counts[k] = counts.get(k, 0) + 1
    return ", ".join(f"{k}x{n}" for k, n in sorted(counts.items()))


def run_case(args, case, body_path):
    with tempfile.TemporaryDirectory(prefix="atoll-hostile-") as work:
        server = Server(args.atoll, work, case)
        try:
            base_rate, _, _ = wrk(server.port, args.duration)
            body = b""
            if case.get("body") == "bomb":
                with open(body_path, "rb") as f:
                    body = f.read()
            attack = Attack(case, server.port, body)
            attack.start()
            time.sleep(0.1)
            rate, failed, timeouts = wrk(server.port, case.get("duration", args.duration))
            attack.stop()
            start = time.time()
            recovered, attacker_after = None, 0
            while time.time() - start < 10:
                attacker_after = request(server.port, "attacker.test", "/ok", timeout=2)[0]
                if request(server.port, "victim.test", timeout=2)[0] == 200 and attacker_after in (200, 503):
                    recovered = int((time.time() - start) * 1000)
                    break
                time.sleep(0.05)
            deaths = server.deaths()
        finally:
            stop_ms = server.stop()
        log = server.text()
    observed = summarize(attack.statuses)
    if case["mode"] == "stream":
        observed += f", {attack.streamed >> 20} MB streamed"
    if case["mode"] == "conns":
        observed = f"{attack.held} connections held"
    if attack.bodies:
        observed += f' "{attack.bodies[-1][:40]}"'
    if kills(log):
        observed += f"; kills: {kills(log)}"
    ratio = rate / base_rate if base_rate else 0
    answers = all(re.search(case.get("answer", ""), b) for b in attack.bodies)
    # Issue 12's acceptance: the attacker got what `expect` says, the victim kept >= 50% of its
    # rate, no worker died, both tenants answer afterwards, SIGTERM stopped the server in time.
    contained = (case["ok"](attack.statuses) and answers and ratio >= 0.5 and deaths == 0
                 and recovered is not None and stop_ms is not None)
    verdict = "yes" if contained else "**NO**"
    if contained and failed:
        verdict += f" ({failed} victim requests failed)"
    return [case["name"], case["expect"], observed, f"{rate:,.0f} ({ratio:.2f}x of {base_rate:,.0f})",
            f"{failed} ({timeouts} of them wrk timeouts: slower than 2 s)" if timeouts else str(failed), str(deaths), f"{recovered} ms" if recovered is not None else "no",
            f"{stop_ms} ms" if stop_ms is not None else "hung", verdict]


def test_rows(build, atoll):
    """One row per regression test of build/tests/hostile_*_test."""
    rows = []
    for binary in sorted(glob.glob(os.path.join(build, "tests", "hostile_*_test"))):
        source = os.path.join(ROOT, "tests", os.path.basename(binary) + ".cc")
        notes = {}
        if os.path.exists(source):
            text = open(source).read()
            # The comment block right above each TEST/TEST_F, joined into one line.
            for m in re.finditer(r"((?:[ \t]*//.*\n)+)TEST(?:_F)?\((\w+), (\w+)\)", text):
                comment = " ".join(line.strip()[2:].strip() for line in m.group(1).splitlines())
                note = re.search(r"Issue 12 items? ([\w, ]+?)(?: \([^)]*\))?: (.*?)\s*Expected: (.*)", comment)
                if note:
                    notes[f"{m.group(2)}.{m.group(3)}"] = (note.group(1), note.group(2).rstrip("."),
                                                           note.group(3).rstrip("."))
        out = os.path.join(tempfile.gettempdir(), f"{os.path.basename(binary)}.json")
        subprocess.run([binary, f"--gtest_output=json:{out}"], capture_output=True, timeout=900,
                       env=dict(os.environ, ATOLL_BIN=atoll))
        try:
            report = json.load(open(out))
        except (OSError, ValueError):
            rows.append(["?", os.path.basename(binary), "did not run", "", "**NO**"])
            continue
        for suite in report.get("testsuites", []):
            for test in suite.get("testsuite", []):
                name = f"{suite['name']}.{test['name']}"
                item, attack, expected = notes.get(name, ("?", "", ""))
                passed = not test.get("failures") and test.get("result") == "COMPLETED"
                rows.append([item, f"`{name}`", attack, expected, "pass" if passed else "**FAIL**"])
    rows.sort(key=lambda r: int((re.findall(r"\d+", r[0]) or [99])[0]))
    return rows


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--atoll", default=os.path.join(ROOT, "build", "atoll"))
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--duration", type=int, default=4)
    p.add_argument("--cases", default="")
    p.add_argument("--no-tests", action="store_true")
    p.add_argument("--readme")
    args = p.parse_args()
    body_path = bomb(os.path.join(tempfile.gettempdir(), "atoll-hostile-bomb.gz"))
    rows = []
    for case in CASES:
        if args.cases and args.cases not in case["name"]:
            continue
        row = run_case(args, case, body_path)
        print(" | ".join(row), file=sys.stderr, flush=True)
        rows.append(row)
    text = ("### Under load (victim under wrk -t1 -c8, attack alongside, one worker, nofile 1024)\n\n"
            + table(["case (issue item)", "expected", "observed", "victim req/s under attack", "victim failures",
                     "workers died", "recovery", "SIGTERM stop", "contained"], rows))
    if not args.no_tests:
        text += ("\n\n### Regression tests (build/tests/hostile_*_test)\n\n"
                 + table(["item", "test", "attack", "expected", "result"], test_rows(args.build, args.atoll)))
    print(text)
    if args.readme:
        readme = open(args.readme).read()
        stamp = time.strftime("%Y-%m-%d")
        block = f"{START}\nRun of {stamp} (`bash bench/hostile.sh`):\n\n{text}\n{END}"
        if START in readme:
            readme = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
        else:
            readme += "\n" + block + "\n"
        open(args.readme, "w").write(readme)


if __name__ == "__main__":
    main()
