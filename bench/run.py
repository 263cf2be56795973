"""Runs the workloads of issue 9 against chat-node and the node-ws peer (see bench/run)."""
import datetime
import json
import secrets
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
SECRET = secrets.token_hex(16)  # a throwaway secret per run
TASKSET = shutil.which("taskset")


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
            return  # it answered (the peer has no page at /)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {port}")


def control(path, request):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        return s.recv(65536)


class Shards:
    def __init__(self):
        self.ports = [free_port() for _ in range(3)]
        self.processes = [subprocess.Popen(
            [os.path.join(ROOT, ".venv/bin/valkey-server"), "--port", str(p), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL) for p in self.ports]
        time.sleep(0.5)

    def flush(self):
        for port in self.ports:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"FLUSHALL\r\n")
                s.recv(64)

    def stop(self):
        for process in self.processes:
            process.kill()


class Node:
    def __init__(self, store, shards):
        self.port = free_port()
        self.socket = f"/tmp/bench-node-{self.port}.sock"
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1", STORE=store,
                   RATE_LIMIT="100000", MAX_CONNECTIONS="20000", CONTROL_SOCKET=self.socket, LOG_LEVEL="error",
                   VALKEY_HOSTS=",".join(f"127.0.0.1:{p}" for p in shards.ports))
        env["JWT_" + "SECRET"] = SECRET
        self.process = subprocess.Popen(pinned(0, [os.path.join(ROOT, ".build/release/chat-node")]), env=env)
        wait_http(self.port)
        control(self.socket, {"cmd": "level", "pin": "normal"})  # see docs/benchmarks.md
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


class Peer:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(pinned(0, ["node", os.path.join(ROOT, "bench/peers/node-ws-peer.js"),
                                                   str(self.port)]), stdout=subprocess.DEVNULL)
        try:
            wait_http(self.port, "/")
        except RuntimeError:
            self.stop()
            raise
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.process.kill()
        self.process.wait()


def load(target, *args):
    argv = pinned(1, [os.path.join(ROOT, ".build/release/chat-load"), *args, "--url", target.url, "--secret", SECRET,
                      "--pid", str(target.process.pid), "--json", "--quiet"])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS * 4 + 300)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"error": result.stderr[-500:]}


WORKLOADS = {
    "W1": ["chat", "--connections", "1000", "--rooms", "100", "--rate", "1000", "--size", "64", "--duration", str(SECONDS)],
    "W2": ["fanout", "--connections", "2000", "--rate", "100", "--size", "64", "--duration", str(SECONDS)],
    "W4": ["idle", "--connections", "10000", "--duration", str(min(SECONDS, 10))],
}


def row(target, name, report):
    if "error" in report:
        return f"| {target} | {name} | failed: {report['error'][:80]} | | | | | |"
    m, lat, node = report.get("messages", {}), report.get("latency_ms", {}), report.get("node") or {}
    e2e, ack = lat.get("end_to_end", {}), lat.get("ack", {})
    conns = report.get("connections", {}).get("opened", 0)
    per_conn = ""
    if name == "W4" and conns:
        per_conn = f"{(node.get('rss_peak', 0) - node.get('rss_start', 0)) / conns:.0f} B/conn"
    return (f"| {target} | {name} | {report.get('rates', {}).get('deliveries_per_s', 0):,.0f} | {m.get('loss', '')} | "
            f"{e2e.get('p50', '')} / {e2e.get('p95', '')} / {e2e.get('p99', '')} | {ack.get('p99', '')} | "
            f"{node.get('cpu_pct', '')} % | {node.get('rss_peak', 0) / 1e6:.1f} MB {per_conn} |")


def main():
    rows = []
    shards = Shards()
    try:
        for store in ("valkey", "memory"):
            for name, args in WORKLOADS.items():
                shards.flush()
                node = Node(store, shards)
                try:
                    report = load(node, *args)
                finally:
                    node.stop()
                rows.append(row(f"chat-node ({store} store)", name, report))
                print(rows[-1], flush=True)
        if shutil.which("node"):
            for name, args in WORKLOADS.items():
                peer = Peer()
                try:
                    rows.append(row("node-ws peer", name, load(peer, *args)))
                finally:
                    peer.stop()
                print(rows[-1], flush=True)
    finally:
        shards.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = [
        "# Benchmarks: latest `bench/run`", "",
        f"Written by `bench/run` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit},",
        f"{os.cpu_count()} cores ({cpu}), {SECONDS} s per workload; servers on CPU 0, chat-load on CPU 1.",
        "W1: 1,000 connections in 100 rooms, 1,000 msg/s, 64 B. W2: 2,000 connections in one room, 100 msg/s.",
        "W4: 10,000 idle connections. Delivery latency p50 / p95 / p99 and ack p99 in ms.", "",
        "| target | workload | deliveries/s | loss | delivery p50 / p95 / p99 | ack p99 | server CPU | server RSS |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
    ]
    with open(os.path.join(ROOT, "docs/benchmarks-latest.md"), "w") as out:
        out.write("\n".join(text))
    print("wrote docs/benchmarks-latest.md")


if __name__ == "__main__":
    main()
