"""A connection that stops reading is cut off as a slow consumer (4008) and the node's
memory does not grow with what it was sent.

S (user 92) opens a raw WebSocket with a 4 KiB receive buffer, joins room 51 and never
reads again; A (user 91) sends FLOOD messages of 4,000 bytes to room 51 (16 MB for S).
Checks: chat_slow_consumers_total rises, S's stream ends with a close frame 4008, and
the node's peak VmRSS during the flood stays below half of what was sent to S. Prints
`rss growth N bytes`.
Usage: slow_reader_check.py PORT JWT_SECRET NODE_PID
"""
import base64
import json
import os
import socket
import threading
import time
import urllib.request
import sys

from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET, PID = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
ROOM, FLOOD, SIZE = 51, 4000, 4000


def token(sub):
    return hs256_token(SECRET, sub)


def rss():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def metric(name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError(f"no {name}")


def masked(payload):
    mask = os.urandom(4)
    head = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
    return head + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


# S: a raw client that reads its handshake and `joined`, then nothing.
slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.connect(("127.0.0.1", PORT))
key = base64.b64encode(os.urandom(16)).decode()
slow.sendall((f"GET /ws?token={token(92)} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
received = b""
while b"\r\n\r\n" not in received:
    received += slow.recv(4096)
assert received.startswith(b"HTTP/1.1 101"), received[:100]
slow.sendall(masked(json.dumps({"t": "join", "room": ROOM}).encode()))
slow.settimeout(10)
while b'"joined"' not in received:
    received += slow.recv(4096)

a = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(91)}", compression=None).__enter__()
a.send(json.dumps({"t": "join", "room": ROOM}))
while json.loads(a.recv(timeout=10))["t"] != "joined":
    pass

baseline = rss()
peak = [baseline]
done = threading.Event()


def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)


sampler = threading.Thread(target=sample)
sampler.start()
text = "x" * SIZE
flooded = {}


def flood():
    """Windows of 8 sends (under the burst of 10), each acked before the next window."""
    acks = 0
    for start in range(0, FLOOD, 8):
        for index in range(start, start + 8):
            a.send(json.dumps({"t": "send", "room": ROOM, "text": text, "cid": f"f{index}"}))
        while acks < start + 8:
            frame = json.loads(a.recv(timeout=30))
            if frame["t"] == "error" and frame["code"] == "rate_limited":
                time.sleep(frame.get("retry_ms", 1) / 1000)
                a.send(json.dumps({"t": "send", "room": ROOM, "text": text, "cid": frame["cid"]}))
                continue
            assert frame["t"] != "error", frame
            acks += frame["t"] == "ack"
    flooded["acks"] = acks


sender = threading.Thread(target=flood)
sender.start()
# Read S as soon as it is cut: its close frame waits behind a full socket until then.
deadline = time.time() + 120
while metric("chat_slow_consumers_total") < 1:
    assert time.time() < deadline and sender.is_alive(), "the slow reader was never cut"
    time.sleep(0.05)
stream = b""
try:
    while True:
        chunk = slow.recv(1 << 20)
        if not chunk:
            break
        stream += chunk
except (ConnectionResetError, socket.timeout):
    pass
assert b"\x0f\xa8slow consumer" in stream, "no close frame 4008 at the end of the stream"
print("ok slow reader cut with 4008", flush=True)
sender.join(120)
done.set()
sampler.join()
assert flooded.get("acks") == FLOOD, flooded
print(f"ok flood of {FLOOD * SIZE} bytes acked", flush=True)

growth = peak[0] - baseline
print(f"rss growth {growth} bytes", flush=True)
assert growth < FLOOD * SIZE // 2, f"node RSS grew by {growth} bytes while {FLOOD * SIZE} were sent to a reader that stopped"
print("ok memory bounded", flush=True)
a.close()
