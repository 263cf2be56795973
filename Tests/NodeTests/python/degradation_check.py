"""Degradation seen by clients. Two users join room 2; the test pins the node's level to
critical (the script waits for the `mode` event), checks what critical means, writes the
marker file MARK, then waits for the level to come back to normal.
Usage: degradation_check.py PORT JWT_SECRET MARK
"""
import json
import sys

from websockets.sync.client import connect

from chat_jwt import hs256_token
from frames import until

PORT, SECRET, MARK = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]


def token(sub):
    return hs256_token(SECRET, sub)


a = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(41)}", compression=None).__enter__()
b = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(42)}", compression=None).__enter__()
for ws in (a, b):
    ws.send(json.dumps({"t": "join", "room": 2}))
    until(ws, lambda f: f["t"] == "joined")
print("ready", flush=True)

mode = until(a, lambda f: f["t"] == "mode", timeout=20)
assert mode["level"] == "critical" and "typing" in mode["disabled"], mode
until(b, lambda f: f["t"] == "mode" and f["level"] == "critical")
print("ok mode critical", flush=True)

a.send(json.dumps({"t": "typing", "room": 2}))
until(a, lambda f: f["t"] == "error" and f["code"] == "degraded")
a.send(json.dumps({"t": "presence", "users": [42]}))
until(a, lambda f: f["t"] == "error" and f["code"] == "degraded")
print("ok degraded features", flush=True)

a.send(json.dumps({"t": "dm", "to": 42, "text": "still delivered", "cid": "dm1"}))
ack = until(a, lambda f: f["t"] == "ack")
m = until(b, lambda f: f["t"] == "msg" and f.get("dm") == 41)
assert m["id"] == ack["id"], (m, ack)
a.send(json.dumps({"t": "send", "room": 2, "text": "room message", "cid": "r1"}))
ack = until(a, lambda f: f["t"] == "ack")
assert until(b, lambda f: f["t"] == "msg" and f.get("room") == 2)["id"] == ack["id"]
print("ok messages delivered", flush=True)

late = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(43)}", compression=None)
greeting = until(late, lambda f: f["t"] == "mode")
assert greeting["level"] == "critical", greeting
late.close()
print("ok mode on connect", flush=True)

open(MARK, "w").close()
normal = until(a, lambda f: f["t"] == "mode", timeout=20)
assert normal["level"] == "normal" and normal["disabled"] == [], normal
a.send(json.dumps({"t": "typing", "room": 2}))
until(b, lambda f: f["t"] == "typing" and f["user"] == 41)
print("ok back to normal", flush=True)
