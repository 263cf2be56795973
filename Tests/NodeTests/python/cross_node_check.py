"""Two nodes sharing Valkey: a user on node A and a user on node B talk in one room.
Usage: cross_node_check.py PORT_A PORT_B JWT_SECRET
"""
import base64
import hashlib
import hmac
import json
import sys
import time

from websockets.sync.client import connect

PORT_A, PORT_B, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()


def token(sub):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": str(sub), "exp": int(time.time()) + 600}).encode())
    return f"{head}.{body}.{b64(hmac.new(SECRET, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def until(ws, pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.time())))
        if pred(frame):
            return frame
    raise AssertionError("timed out")


a = connect(f"ws://127.0.0.1:{PORT_A}/ws?token={token(61)}", compression=None).__enter__()
b = connect(f"ws://127.0.0.1:{PORT_B}/ws?token={token(62)}", compression=None).__enter__()
for ws in (a, b):
    ws.send(json.dumps({"t": "join", "room": 1}))
    until(ws, lambda f: f["t"] == "joined")
time.sleep(0.3)  # the subscriptions go out at the end of the nodes' loop rounds

ids = []
for i in range(20):
    sender, receiver = (a, b) if i % 2 == 0 else (b, a)
    sender.send(json.dumps({"t": "send", "room": 1, "text": f"x{i}", "cid": f"c{i}"}))
    ack = until(sender, lambda f: f["t"] == "ack" and f["cid"] == f"c{i}")
    m = until(receiver, lambda f: f["t"] == "msg" and f["id"] == ack["id"])
    assert m["text"] == f"x{i}" and m["from"] == (61 if i % 2 == 0 else 62), m
    ids.append(ack["id"])
print("ok across nodes", flush=True)

for ws in (a, b):
    ws.send(json.dumps({"t": "history", "room": 1, "limit": 50}))
    h = until(ws, lambda f: f["t"] == "history")
    assert [m["id"] for m in h["msgs"]] == sorted(ids, key=int), h
print("ok shared history", flush=True)
