"""Scale-out benchmark (issue 8): one W1-shaped chat-load run against one node, one node
behind Traefik, and three nodes behind Traefik, all sharing three Valkey shards; prints
messages/s, deliveries/s, latency percentiles, and the CPU seconds each process group used
per delivered message (Valkey from /proc/<pid>/stat of the valkey-server processes).
Release builds of chat-node and chat-load must exist (bench/scale-out builds them).
Loopback only; every run is bounded (chat-load's own deadline, timeouts here).
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "1000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECRET = secrets.token_hex(16)
TICKS = os.sysconf("SC_CLK_TCK")
TRAEFIK = os.environ.get("CHAT_TRAEFIK") or os.path.join(ROOT, ".venv/bin/traefik")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/health", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing healthy on {port}{path}")


def cpu_seconds(pid):
    """utime + stime of one process, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (FileNotFoundError, IndexError, ValueError):
        return 0.0


class Stack:
    """Three Valkey shards, N chat-node processes, optionally Traefik in front."""

    def __init__(self, nodes, traefik):
        self.folder = tempfile.mkdtemp(prefix="scale-out-bench-")
        self.processes = {"valkey": [], "node": [], "traefik": []}
        ports = [free_port() for _ in range(3)]
        for p in ports:
            self.spawn("valkey", [os.path.join(ROOT, ".venv/bin/valkey-server"), "--port", str(p), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no"])
        self.node_ports = []
        for index in range(1, nodes + 1):
            port = free_port()
            env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", NODE_ID=str(index), STORE="valkey",
                       VALKEY_HOSTS=",".join(f"127.0.0.1:{p}" for p in ports), LOG_LEVEL="error",
                       RATE_LIMIT="100000", MAX_CONNECTIONS="20000", LOAD_SAMPLE_SECONDS="3600",
                       CONTROL_SOCKET=f"{self.folder}/node-{index}.sock")
            env["JWT_SECRET"] = SECRET  # a throwaway secret per run
            self.spawn("node", [os.path.join(ROOT, ".build/release/chat-node")], env)
            self.node_ports.append(port)
        for port in self.node_ports:
            wait_http(port)
        self.port = self.node_ports[0]
        if traefik:
            self.port, ping = free_port(), free_port()
            env = dict(os.environ, CHAT_BACKENDS=",".join(f"http://127.0.0.1:{p}" for p in self.node_ports),
                       TRAEFIK_HTTP_ADDRESS=f"127.0.0.1:{self.port}", TRAEFIK_PING_ADDRESS=f"127.0.0.1:{ping}",
                       CHAT_HEALTH_INTERVAL="2s")
            subprocess.run(["/bin/sh", os.path.join(ROOT, "compose/traefik/render.sh"), self.folder], env=env, check=True,
                           timeout=20, stdout=subprocess.DEVNULL)
            self.spawn("traefik", [TRAEFIK, f"--configFile={self.folder}/traefik.yml"])
            wait_http(self.port)

    def spawn(self, group, argv, env=None):
        self.processes[group].append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def cpu(self):
        return {group: sum(cpu_seconds(p.pid) for p in procs) for group, procs in self.processes.items()}

    def stop(self):
        for procs in self.processes.values():
            for p in procs:
                p.kill()
                p.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def run(label, nodes, traefik):
    stack = Stack(nodes, traefik)
    try:
        before = stack.cpu()
        argv = [os.path.join(ROOT, ".build/release/chat-load"), "chat", "--connections", str(CONNECTIONS), "--rooms", "100",
                "--rate", str(RATE), "--size", "64", "--duration", f"{SECONDS}s", "--url", f"ws://127.0.0.1:{stack.port}/ws",
                "--secret", SECRET, "--pid", str(stack.processes["node"][0].pid), "--json", "--quiet"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS * 4 + 120)
        after = stack.cpu()
    finally:
        stack.stop()
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"label": label, "error": result.stderr[-300:]}
    messages, latency = report["messages"], report["latency_ms"]
    delivered = max(1, messages["delivered"])
    used = {group: after[group] - before[group] for group in after}
    return {
        "label": label, "sent_per_s": report["rates"]["sent_per_s"], "deliveries_per_s": report["rates"]["deliveries_per_s"],
        "acked": messages["acked"], "loss": messages["loss"], "e2e": latency["end_to_end"], "ack": latency["ack"],
        "us_per_delivery": {group: used[group] / delivered * 1e6 for group in used},
        "cpu_pct": {group: used[group] / max(0.001, report["elapsed_s"]) * 100 for group in used},
    }


def main():
    runs = [("1 node, direct", 1, False), ("1 node behind Traefik", 1, True), ("3 nodes behind Traefik", 3, True)]
    only = sys.argv[1:]
    results = [run(label, nodes, traefik) for label, nodes, traefik in runs if not only or label.split(",")[0] in only]
    print(f"chat-load chat: {CONNECTIONS} connections, 100 rooms, {RATE} msg/s, 64 B, {SECONDS} s; "
          f"3 Valkey shards; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print("| setup | msg/s sent | deliveries/s | loss | e2e p50 / p99 (ms) | ack p99 (ms) | "
          "Valkey CPU µs/delivery | nodes µs/delivery | Traefik µs/delivery | CPU % valkey / nodes / traefik |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['label']} | failed: {r['error'][:100]} |")
            continue
        us, pct = r["us_per_delivery"], r["cpu_pct"]
        print(f"| {r['label']} | {r['sent_per_s']:,.0f} | {r['deliveries_per_s']:,.0f} | {r['loss']} | "
              f"{r['e2e'].get('p50')} / {r['e2e'].get('p99')} | {r['ack'].get('p99')} | {us['valkey']:.2f} | {us['node']:.2f} | "
              f"{us['traefik']:.2f} | {pct['valkey']:.0f} / {pct['node']:.0f} / {pct['traefik']:.0f} |")


if __name__ == "__main__":
    main()
