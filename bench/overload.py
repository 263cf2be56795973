"""Overload benchmark (see bench/overload): sweep, 3x overload with DM probes, recovery."""
import argparse
import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from websockets.asyncio.client import connect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import free_port, pinned  # noqa: E402  (bench/run.py: pinning, free ports)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = secrets.token_hex(16)
LEVELS = {0: "normal", 1: "elevated", 2: "high", 3: "critical"}


def token(sub):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": str(sub), "exp": int(time.time()) + 7200}).encode())
    signature = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def metrics(port):
    values = {}
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def control(path, request):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        return s.recv(65536)


class Cluster:
    """Three Valkey shards and one chat-node on CPU 0."""

    def __init__(self, recovery):
        self.ports = [free_port() for _ in range(3)]
        self.valkeys = [subprocess.Popen(
            [os.path.join(ROOT, ".venv/bin/valkey-server"), "--port", str(p), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL) for p in self.ports]
        time.sleep(0.5)
        self.port = free_port()
        self.socket = f"/tmp/bench-overload-{self.port}.sock"
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1", STORE="valkey", RATE_LIMIT="100000",
                   MAX_CONNECTIONS="20000", CONTROL_SOCKET=self.socket, LOG_LEVEL="error",
                   VALKEY_HOSTS=",".join(f"127.0.0.1:{p}" for p in self.ports))
        env["JWT_" + "SECRET"] = SECRET
        if recovery:
            env["LOAD_RECOVERY_SECONDS"] = env["LOAD_STEP_SECONDS"] = str(recovery)
        self.node = subprocess.Popen(pinned(0, [os.path.join(ROOT, ".build/release/chat-node")]), env=env)
        deadline = time.time() + 15
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self):
        self.node.terminate()  # SIGTERM: the node drains and removes its control socket
        try:
            self.node.wait(10)
        except subprocess.TimeoutExpired:
            self.node.kill()
        if os.path.exists(self.socket):
            os.remove(self.socket)
        for valkey in self.valkeys:
            valkey.kill()


def chat_load(cluster, rate, seconds, user_base, connections=1000, rooms=100):
    argv = pinned(1, [os.path.join(ROOT, ".build/release/chat-load"), "chat", "--url", f"ws://127.0.0.1:{cluster.port}/ws",
                      "--secret", SECRET, "--connections", str(connections), "--rooms", str(rooms), "--rate", str(rate),
                      "--size", "64", "--duration", str(seconds), "--user-base", str(user_base),
                      "--pid", str(cluster.node.pid), "--json", "--quiet"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 180)
    return json.loads(out.stdout)


def sustainable(result, rate):
    m, latency = result["messages"], result["latency_ms"]["end_to_end"]
    # Sustained: everything offered was sent, acked and delivered, within half a second at
    # p99, with the node's CPU under 85 % of its core (where its own load monitor would go
    # to `high` and start shedding).
    return (m["sent"] >= rate * result["sending_s"] * 0.97 and m["acked"] == m["sent"] and m["loss"] == 0
            and (latency.get("p99") or 1e9) < 500 and (result["node"].get("cpu_pct") or 100) < 85)


def sweep(cluster, rates, seconds):
    control(cluster.socket, {"cmd": "level", "pin": "normal"})
    best = None
    for index, rate in enumerate(rates):
        result = chat_load(cluster, rate, seconds, user_base=2_000_000 + index * 10_000)
        e2e = result["latency_ms"]["end_to_end"]
        ok = sustainable(result, rate)
        print(f"  sweep {rate:>6} msg/s: sent {result['messages']['sent']}, acked {result['messages']['acked']}, "
              f"loss {result['messages']['loss']}, p99 {e2e.get('p99')} ms, node cpu {result['node'].get('cpu_pct')} %, "
              f"refused {result.get('reasons') or {}}"
              f" -> {'sustained' if ok else 'not sustained'}", flush=True)
        if not ok:
            break
        best = rate
    control(cluster.socket, {"cmd": "level", "unpin": True})
    return best


async def dm_probes(port, pairs, seconds, every, stats, stop):
    """`pairs` senders each send a DM to their peer every `every` s (under the 5/min of
    critical); counts acked DMs and which of them reached the peer, with latency."""
    async def pair(index):
        sender_id, peer_id = 41_000 + 2 * index, 41_001 + 2 * index
        async with connect(f"ws://127.0.0.1:{port}/ws?token={token(sender_id)}", compression=None,
                           open_timeout=30) as sender, \
                connect(f"ws://127.0.0.1:{port}/ws?token={token(peer_id)}", compression=None, open_timeout=30) as peer:
            sent_at = {}
            received = set()

            async def read_peer():
                async for raw in peer:
                    frame = json.loads(raw)
                    if frame.get("t") == "msg" and frame.get("dm") == sender_id and frame["id"] not in received:
                        received.add(frame["id"])
                        stats["delivered"] += 1
                        if frame["text"] in sent_at:
                            stats["latency"].append(time.monotonic() - sent_at[frame["text"]])

            reader = asyncio.create_task(read_peer())
            await asyncio.sleep(index * every / pairs)
            count = 0
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not stop.is_set():
                count += 1
                text = f"probe {index} {count}"
                sent_at[text] = time.monotonic()
                await sender.send(json.dumps({"t": "dm", "to": peer_id, "text": text, "cid": f"p{index}-{count}"}))
                stats["sent"] += 1
                answer_deadline = time.monotonic() + 30
                while time.monotonic() < answer_deadline:
                    frame = json.loads(await asyncio.wait_for(sender.recv(), answer_deadline - time.monotonic()))
                    if frame.get("cid") == f"p{index}-{count}":
                        if frame["t"] == "ack":
                            stats["acked"] += 1
                            stats["acked_ids"].add(frame["id"])
                        else:
                            stats["refused"][frame.get("code", "?")] = stats["refused"].get(frame.get("code", "?"), 0) + 1
                        break
                await asyncio.sleep(every)
            await asyncio.sleep(5)  # let the last deliveries arrive
            reader.cancel()
            stats["delivered_acked"] += len(received & stats["acked_ids"])

    await asyncio.gather(*(pair(index) for index in range(pairs)))


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, help="sustainable rate (msg/s); skips the sweep")
    parser.add_argument("--seconds", type=int, default=60, help="overload duration")
    parser.add_argument("--sweep", default="2000,4000,6000,8000,10000,12000", help="rates tried by the sweep")
    parser.add_argument("--sweep-seconds", type=int, default=8)
    parser.add_argument("--fast-recovery", action="store_true", help="LOAD_RECOVERY_SECONDS=LOAD_STEP_SECONDS=5")
    parser.add_argument("--pin", choices=["high", "critical"], help="pin this level during the overload (its pacing)")
    parser.add_argument("--recovery-wait", type=int, default=480, help="longest wait for normal after the load")
    args = parser.parse_args()
    cluster = Cluster(recovery=5 if args.fast_recovery else None)
    try:
        print(f"overload benchmark, {datetime.date.today()}, load average {os.getloadavg()[0]:.1f}", flush=True)
        rate = args.rate
        if rate is None:
            rate = sweep(cluster, [int(r) for r in args.sweep.split(",")], args.sweep_seconds)
            if rate is None:
                raise SystemExit("no rate of the sweep was sustained")
            # A fresh node for the overload itself (the sweep's rooms and cids stay behind).
            cluster.stop()
            cluster = Cluster(recovery=5 if args.fast_recovery else None)
        offered = 3 * rate
        print(f"sustainable {rate} msg/s; offering {offered} msg/s for {args.seconds} s", flush=True)
        stats = {"sent": 0, "acked": 0, "delivered": 0, "delivered_acked": 0, "latency": [], "refused": {},
                 "acked_ids": set()}
        stop = threading.Event()
        timeline, peak = [], [0]

        start = time.monotonic()

        def watch():
            last = None
            while not stop.is_set():
                try:
                    level = LEVELS.get(int(metrics(cluster.port).get("chat_degradation_level", -1)), "?")
                except OSError:
                    level = "?"
                peak[0] = max(peak[0], rss(cluster.node.pid))
                if level != last:
                    timeline.append((round(time.monotonic() - start, 1), level))
                    last = level
                time.sleep(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        probes = threading.Thread(target=lambda: asyncio.run(
            dm_probes(cluster.port, pairs=20, seconds=args.seconds + 10, every=15, stats=stats, stop=stop)))
        probes.start()
        time.sleep(3)
        if args.pin:
            # Pinned once chat-load's connections are open (10 s in), so that the admission
            # queue does not keep them out: what is measured is the pacing of room traffic.
            threading.Timer(10, control, (cluster.socket, {"cmd": "level", "pin": args.pin})).start()
        load_start = time.monotonic()
        result = chat_load(cluster, offered, args.seconds, user_base=3_000_000)
        load_end = time.monotonic()
        if args.pin:
            control(cluster.socket, {"cmd": "level", "unpin": True})
        probes.join(120)
        while time.monotonic() - load_end < args.recovery_wait and timeline[-1][1] != "normal":
            time.sleep(0.5)
        stop.set()
        watcher.join(5)
        # Back to normal: the last change to normal, counted from the end of the load.
        back = None
        if timeline and timeline[-1][1] == "normal":
            back = max(0.0, timeline[-1][0] - (load_end - start))
        m, e2e = result["messages"], result["latency_ms"]["end_to_end"]
        print(json.dumps({
            "sustainable_rate": rate, "offered_rate": offered, "seconds": args.seconds,
            "room_messages": {"sent": m["sent"], "acked": m["acked"], "refused": m["rejected"], "expected": m["expected"],
                              "delivered": m["delivered"], "loss": m["loss"], "reasons": result.get("reasons")},
            "room_latency_ms": {k: e2e.get(k) for k in ("p50", "p95", "p99", "max")},
            "dm": {"sent": stats["sent"], "acked": stats["acked"], "delivered_of_acked": stats["delivered_acked"],
                   "refused": stats["refused"],
                   "delivered_pct": round(100 * stats["delivered_acked"] / stats["acked"], 2) if stats["acked"] else None,
                   "latency_ms_p50": round(1000 * (percentile(stats["latency"], 0.5) or 0), 1),
                   "latency_ms_p99": round(1000 * (percentile(stats["latency"], 0.99) or 0), 1)},
            "node": {"cpu_pct": result["node"].get("cpu_pct"), "rss_peak_bytes": max(peak[0], result["node"].get("rss_peak") or 0)},
            "levels": timeline, "load_seconds": round(load_end - load_start, 1),
            "pinned": args.pin,
            "back_to_normal_s_after_load": None if back is None else round(back, 1),
            "load_average": os.getloadavg()[0],
        }, indent=1), flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
