"""The workloads of issue 9 against chat-node and the peers (see bench/run for the command).

Targets: chat-node with Valkey storage (three local shards) and with `STORE=memory`, the
node-ws peer and the uWebSockets peer. Each server (and the Valkey shards) is pinned to
CPU 0, chat-load to CPU 1; each server is started afresh for every run of chat-load.
Results go to docs/benchmarks-latest.json (merged: `--only` replaces what it ran and keeps
the rest), rendered into docs/benchmarks-latest.md, and the targets table of
docs/benchmarks.md (between its bench/run markers) is recomputed from them.
"""
import argparse
import datetime
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (bench/report.py: rendering and verdicts)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = secrets.token_hex(16)  # a throwaway secret per run
TASKSET = shutil.which("taskset")
UWS_PEER = os.path.join(ROOT, ".build/bench/uws-peer")
RESULTS = os.path.join(ROOT, "docs/benchmarks-latest.json")

TARGETS = ["node-valkey", "node-memory", "node-ws", "uws"]
WORKLOADS = ["W1", "W2", "W3", "W4", "ramp", "burst", "sustained", "soak"]
PLAN = ("ramp", "burst", "sustained", "soak")
# W3: messages/s tried in turn until one fails; then `--w3-refine` midpoints.
W3_LADDER = [1_000, 2_000, 3_000, 4_000, 5_000, 7_000, 10_000, 14_000, 20_000, 28_000, 40_000, 56_000, 80_000]
W3_MAX_LOSS_PCT = 0.1
W3_MAX_P99_MS = 100.0


def pinned(cpu, argv):
    return ([TASKSET, "-c", str(cpu)] if TASKSET else []) + argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/health", timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {port}")


def control(path, request):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        return s.recv(65536)


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Shards:
    """Three valkey-servers on loopback, pinned to CPU 0 with the node they serve."""

    def __init__(self):
        self.ports = [free_port() for _ in range(3)]
        self.processes = [subprocess.Popen(pinned(0, [
            os.path.join(ROOT, ".venv/bin/valkey-server"), "--port", str(p), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no"]), stdout=subprocess.DEVNULL) for p in self.ports]
        time.sleep(0.5)

    def flush(self):
        for port in self.ports:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"FLUSHALL\r\n")
                s.recv(64)

    def cpu_seconds(self):
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def stop(self):
        for process in self.processes:
            process.kill()
            process.wait()


class Server:
    """A server under test; `process.pid` is the server itself (taskset execs it)."""
    process = None
    url = ""
    shards = None

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait()


class Node(Server):
    def __init__(self, store, shards):
        self.port = free_port()
        self.socket = f"/tmp/bench-node-{self.port}.sock"
        self.shards = shards if store == "valkey" else None
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1", STORE=store,
                   RATE_LIMIT="100000", MAX_CONNECTIONS="20000", CONTROL_SOCKET=self.socket, LOG_LEVEL="error",
                   VALKEY_HOSTS=",".join(f"127.0.0.1:{p}" for p in shards.ports))
        env["JWT_" + "SECRET"] = SECRET
        self.process = subprocess.Popen(pinned(0, [os.path.join(ROOT, ".build/release/chat-node")]), env=env)
        try:
            wait_http(self.port)
            control(self.socket, {"cmd": "level", "pin": "normal"})  # see docs/benchmarks.md
        except (RuntimeError, OSError):
            self.stop()
            raise
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Peer(Server):
    def __init__(self, argv):
        self.port = free_port()
        self.process = subprocess.Popen(pinned(0, [*argv, str(self.port), "127.0.0.1"]), stdout=subprocess.DEVNULL)
        try:
            wait_http(self.port, "/health")
        except RuntimeError:
            self.stop()
            raise
        self.url = f"ws://127.0.0.1:{self.port}/ws"


def start(target, shards):
    if target == "node-valkey":
        shards.flush()
        return Node("valkey", shards)
    if target == "node-memory":
        return Node("memory", shards)
    if target == "node-ws":
        return Peer(["node", os.path.join(ROOT, "bench/peers/node-ws-peer.js")])
    return Peer([UWS_PEER])


def available(target):
    if target == "node-ws":
        return shutil.which("node") is not None
    if target == "uws":
        return os.access(UWS_PEER, os.X_OK)
    return True


def load(server, args, budget):
    """One chat-load run against `server`: its JSON summary, plus the store's CPU and
    whether the server was still running at the end."""
    argv = pinned(1, [os.path.join(ROOT, ".build/release/chat-load"), *args, "--url", server.url, "--secret", SECRET,
                      "--pid", str(server.process.pid), "--json", "--quiet"])
    store_before, started = (server.shards.cpu_seconds() if server.shards else 0.0), time.time()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=budget)
        summary = json.loads(result.stdout)
    except subprocess.TimeoutExpired:
        summary = {"error": f"chat-load ran past {budget} s"}
    except json.JSONDecodeError:
        summary = {"error": (result.stderr or result.stdout)[-300:]}
    if server.shards:
        summary["store_cpu_pct"] = round(100 * (server.shards.cpu_seconds() - store_before) / (time.time() - started), 1)
    summary["server_alive"] = server.alive()
    return summary


def run_once(target, shards, args, budget):
    server = start(target, shards)
    try:
        return load(server, args, budget)
    finally:
        server.stop()


def w3_step_verdict(summary, rate):
    """(passed, reason): loss <= 0.1 %, p99 <= 100 ms, every connection joined, the offered
    rate actually sent, every send acknowledged."""
    if "error" in summary:
        return False, summary["error"][:80]
    conns, messages = summary.get("connections", {}), summary.get("messages", {})
    p99 = summary.get("latency_ms", {}).get("end_to_end", {}).get("p99", 0)
    sent_rate = summary.get("rates", {}).get("sent_per_s", 0)
    if conns.get("joined", 0) < conns.get("target", 1):
        return False, f"joined {conns.get('joined', 0)} of {conns.get('target')}"
    if sent_rate < 0.95 * rate:
        return False, f"sent only {sent_rate:,.0f}/s (generator or server fell behind)"
    if messages.get("loss_pct", 100) > W3_MAX_LOSS_PCT:
        return False, f"loss {messages.get('loss_pct')} %"
    if p99 > W3_MAX_P99_MS:
        return False, f"p99 {p99} ms"
    if messages.get("acked", 0) + messages.get("rejected", 0) < messages.get("sent", 0) * (1 - W3_MAX_LOSS_PCT / 100):
        return False, f"acked {messages.get('acked')} of {messages.get('sent')}"
    if messages.get("rejected", 0):
        return False, f"{messages['rejected']} sends rejected"
    return True, "passed"


def sweep(target, shards, seconds, refine, tries):
    """W3: the W1 shape at rising rates until a step fails; then `refine` bisections. A
    failed step is tried again, up to `tries` times in all (a busy neighbour can spoil one
    run); the table keeps the last try."""
    steps = []

    def step(rate):
        args = ["chat", "--connections", "1000", "--rooms", "100", "--rate", str(rate), "--size", "64",
                "--duration", str(seconds)]
        for attempt in range(1, tries + 1):
            summary = run_once(target, shards, args, seconds * 4 + 120)
            passed, reason = w3_step_verdict(summary, rate)
            print(f"  W3 {target} {rate:>6,} msg/s, try {attempt}: {reason}", flush=True)
            if passed:
                break
        steps.append({"rate": rate, "passed": passed, "reason": reason, "tries": attempt,
                      "summary": report.compact(summary)})
        return passed

    best, failed = None, None
    for rate in W3_LADDER:
        if step(rate):
            best = rate
        else:
            failed = rate
            break
    for _ in range(refine):
        if failed is None:
            break
        low = best or 0
        middle = (low + failed) // 2 // 100 * 100
        if middle <= low or middle >= failed:
            break
        if step(middle):
            best = middle
        else:
            failed = middle
    steps.sort(key=lambda s: s["rate"])
    return {"steps": steps, "best_rate": best, "first_failed_rate": failed}


def plan_args(name, options):
    if name == "ramp":
        return ["ramp", "--ramp", str(options.ramp_up), "--duration", str(options.ramp_hold)], \
            options.ramp_up + options.ramp_hold + 120
    if name == "burst":
        return ["burst", "--bursts", str(options.bursts)], options.bursts * 5 + 120
    if name == "sustained":
        return ["sustained", "--duration", str(options.sustained), "--sample", "60"], options.sustained + 120
    # soak: the leak check. Each room remembers the acks of its last 5 minutes (the dedupe
    # window) and prunes them only once it holds more than 4,096, so RSS rises until every
    # room holds 4,096: at the plan's sustained rate (about 1.3 msg/s per room) that takes
    # 51 minutes. At 13 msg/s per room (1,300 msg/s over 100 rooms: 3,900 acks per window,
    # under 4,096) the tables are full after about 315 s, and from then on RSS must stay flat.
    return ["chat", "--connections", "1000", "--rooms", "100", "--rate", "1300", "--size", "64",
            "--duration", str(options.soak), "--sample", "30"], options.soak + 120


def simple_args(name, seconds):
    if name == "W1":
        return ["chat", "--connections", "1000", "--rooms", "100", "--rate", "1000", "--size", "64", "--duration", str(seconds)]
    if name == "W2":
        return ["fanout", "--connections", "2000", "--rate", "100", "--size", "64", "--duration", str(seconds)]
    return ["idle", "--connections", "10000", "--duration", str(min(seconds, 10))]


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":!docs/benchmarks.md", ":!docs/benchmarks-latest.*"], capture_output=True, text=True,
                           cwd=ROOT).stdout.strip()
    return {"cores": os.cpu_count(), "cpu": cpu, "commit": commit + ("+changes" if dirty else "")}


def main():
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"subset of {','.join(TARGETS)}")
    parser.add_argument("--plan-targets", default="node-valkey", help="targets of ramp, burst, sustained, soak")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "12")),
                        help="sending seconds of W1, W2 (W4 holds at most 10) (default 12, or BENCH_SECONDS)")
    parser.add_argument("--w3-seconds", type=int, default=6, help="sending seconds of each W3 step (6)")
    parser.add_argument("--w3-refine", type=int, default=1, help="bisections after W3's first failed step (1)")
    parser.add_argument("--w3-tries", type=int, default=2, help="tries of a W3 step before it counts as failed (2)")
    parser.add_argument("--ramp-up", type=int, default=45, help="ramp: seconds from 100 to 1,000 connections (45)")
    parser.add_argument("--ramp-hold", type=int, default=45, help="ramp: seconds held at 1,000 (45)")
    parser.add_argument("--bursts", type=int, default=10, help="burst: bursts of 500 sends, 5 s apart (10)")
    parser.add_argument("--sustained", type=int, default=240, help="sustained: seconds (240; the plan's is 3600)")
    parser.add_argument("--soak", type=int, default=450,
                        help="soak: seconds of the W1 shape at 1,300 msg/s, RSS every 30 s; the leak verdict compares "
                             "330 s with the end (450)")
    parser.add_argument("--note", default="", help="a remark stored with these results (e.g. machine busy)")
    options = parser.parse_args()
    only = [w for w in options.only.split(",") if w]
    targets = [t for t in options.targets.split(",") if t]
    for name in only:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name}")
    for target in targets + options.plan_targets.split(","):
        if target not in TARGETS:
            parser.error(f"unknown target {target}")

    results = report.load(RESULTS)
    shards = Shards()
    try:
        for name in [w for w in WORKLOADS if w in only]:
            plan = name in PLAN
            for target in (options.plan_targets.split(",") if plan else targets):
                if not available(target):
                    print(f"{name} {target}: not available, skipped", flush=True)
                    continue
                stamp = {"date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
                         "load_avg": round(os.getloadavg()[0], 1), "note": options.note, **machine()}
                if name == "W3":
                    result = sweep(target, shards, options.w3_seconds, options.w3_refine, options.w3_tries)
                    stamp["seconds"] = options.w3_seconds
                else:
                    if plan:
                        args, budget = plan_args(name, options)
                    else:
                        args, budget = simple_args(name, options.seconds), options.seconds * 4 + 300
                        stamp["seconds"] = options.seconds
                    result = report.compact(run_once(target, shards, args, budget))
                    print(report.progress_line(name, target, result), flush=True)
                # Merged per workload and target: a subset run keeps the other figures.
                results.setdefault(name, {}).setdefault("results", {})[target] = {**result, "stamp": stamp}
                report.save(RESULTS, results)  # an interrupted run keeps what it measured
    finally:
        shards.stop()
    report.write_latest(os.path.join(ROOT, "docs/benchmarks-latest.md"), results)
    report.write_targets(os.path.join(ROOT, "docs/benchmarks.md"), results)
    print("wrote docs/benchmarks-latest.json, docs/benchmarks-latest.md and the targets table of docs/benchmarks.md")


if __name__ == "__main__":
    main()
