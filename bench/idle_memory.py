"""Idle-connection memory of chat-node: RSS per open WebSocket beyond the node's baseline.

Starts a release chat-node (in-memory store, dev login) on a free loopback port, opens N
WebSocket connections with the `websockets` package (asyncio), samples the node's VmRSS
from /proc before and after, then closes everything. Bounded: stops by itself.

    .venv/bin/python bench/idle_memory.py [N] [deflate] [tls]   (default 10000, no deflate
    offer, plain TCP; `tls` serves wss:// with a throwaway RSA 2048 certificate made by the
    `openssl` command; build first:
    swift build -c release --product chat-node)
"""
import asyncio
import json
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.asyncio.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


COMPRESSION = "deflate" if "deflate" in sys.argv[2:] else None
TLS = "tls" in sys.argv[2:]


def certificate(folder: str) -> tuple[str, str]:
    """A self-signed certificate for localhost and its key, in `folder`."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


async def open_all(port: int, token: str, count: int, context):
    connections = []
    batch = 500
    scheme, host = ("wss", "localhost") if context else ("ws", "127.0.0.1")
    extra = {"ssl": context} if context else {}
    for start in range(0, count, batch):
        tasks = [connect(f"{scheme}://{host}:{port}/ws?token={token}", compression=COMPRESSION, ping_interval=None,
                         open_timeout=60, proxy=None, **extra) for _ in range(min(batch, count - start))]
        connections += await asyncio.gather(*tasks)
    return connections


async def main(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    port = free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", DEV_LOGIN="1", STORE="memory",
               MAX_CONNECTIONS=str(count + 100), DEFLATE="1", LOG_LEVEL="error")
    context, base = None, f"http://127.0.0.1:{port}"
    if TLS:
        cert, key = certificate(tempfile.mkdtemp(prefix="chat-bench-tls-"))
        env.update(TLS_CERT=cert, TLS_KEY=key)
        context, base = ssl.create_default_context(cafile=cert), f"https://localhost:{port}"
    node = subprocess.Popen([os.path.join(ROOT, ".build/release/chat-node")], env=env,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (count + 1024, count + 1024)))
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1, context=context) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        with urllib.request.urlopen(f"{base}/dev/token?user=bench", timeout=5, context=context) as reply:
            token = json.load(reply)["token"]
        # Warm up the allocator and the code paths with a few connections first.
        warm = await open_all(port, token, 100, context)
        for ws in warm:
            await ws.close()
        await asyncio.sleep(1)
        baseline = rss_kib(node.pid)
        started = time.time()
        connections = await open_all(port, token, count, context)
        opened = time.time() - started
        await asyncio.sleep(2)
        loaded = rss_kib(node.pid)
        per = (loaded - baseline) * 1024 / count
        print(json.dumps({"connections": count, "baseline_rss_kib": baseline, "loaded_rss_kib": loaded,
                          "bytes_per_connection": round(per), "deflate_offered": COMPRESSION is not None, "tls": TLS,
                          "open_seconds": round(opened, 2)}))
        for ws in connections:
            await ws.close()
    finally:
        node.terminate()
        node.wait(timeout=15)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000))
