"""Priority classes of room traffic under load, as clients see them.

Users 61 (A, sender), 62 (B, active in the room: it sent there), 63 (C, only joined: NORMAL)
and 64 (D, named "dora", only joined) share room 3. The script pins levels over the
control socket and reads `chat_messages_paced_total` from /metrics:
- high: HIGH receivers (B) are not paced, NORMAL ones (C, D) are; an @mention reaches its
  receiver unpaced; every receiver gets every message once, in id order;
- critical: every room receiver is paced, DMs are not; still every message, in order;
- normal again: nothing is paced.
Usage: pacing_check.py PORT JWT_SECRET CONTROL_SOCKET
"""
import base64
import hashlib
import hmac
import json
import socket
import sys
import time
import urllib.request

from websockets.sync.client import connect
from frames import until

PORT, SECRET, CONTROL = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
ROOM = 3


def token(sub, name=None):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    claims = {"sub": str(sub), "exp": int(time.time()) + 600}
    if name:
        claims["name"] = name
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(hmac.new(SECRET, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def control(request):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(CONTROL)
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            assert chunk, "control socket closed"
            data += chunk
    reply = json.loads(data)
    assert reply.get("ok"), reply
    return reply


def paced():
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith("chat_messages_paced_total "):
            return int(float(line.split()[1]))
    raise AssertionError("no chat_messages_paced_total in /metrics")


def room_msgs(ws, count):
    return [until(ws, lambda f: f["t"] == "msg" and f.get("room") == ROOM) for _ in range(count)]


a, b, c, d = (connect(f"ws://127.0.0.1:{PORT}/ws?token={token(sub, name)}", compression=None).__enter__()
              for sub, name in ((61, None), (62, None), (63, None), (64, "dora")))
for ws in (a, b, c, d):
    ws.send(json.dumps({"t": "join", "room": ROOM}))
    until(ws, lambda f: f["t"] == "joined")
b.send(json.dumps({"t": "send", "room": ROOM, "text": "b is here", "cid": "b0"}))
until(b, lambda f: f["t"] == "ack")
for ws in (a, c, d):
    room_msgs(ws, 1)


def sends(texts, prefix):
    ids = []
    for index, text in enumerate(texts):
        a.send(json.dumps({"t": "send", "room": ROOM, "text": text, "cid": f"{prefix}{index}"}))
        ids.append(until(a, lambda f: f["t"] == "ack" and f["cid"] == f"{prefix}{index}")["id"])
    return ids


def level(name):
    control({"cmd": "level", "pin": name} if name else {"cmd": "level", "unpin": True})
    want = name or "normal"
    for ws in (a, b, c, d):
        until(ws, lambda f: f["t"] == "mode" and f["level"] == want)


def check_in_order(ws, ids, who):
    got = [int(m["id"]) for m in room_msgs(ws, len(ids))]
    assert got == sorted(int(i) for i in ids), (who, got, ids)


# high: C and D (NORMAL) paced, B (HIGH) not; the mention of dora reaches D unpaced.
level("high")
before = paced()
ids = sends(["m1", "m2", "m3"], "h")
for ws, who in ((b, "B"), (c, "C"), (d, "D")):
    check_in_order(ws, ids, who)
assert paced() - before == 6, ("paced at high", paced() - before)
before = paced()
mention = sends(["look @dora"], "hm")
for ws in (b, c, d):
    check_in_order(ws, mention, "mention")
assert paced() - before == 1, ("only C is paced for a mention of D", paced() - before)
print("ok normal paced at high", flush=True)

# critical: every room receiver paced; a DM is not.
level("critical")
before = paced()
ids = sends(["m5", "m6"], "c")
for ws, who in ((b, "B"), (c, "C"), (d, "D")):
    check_in_order(ws, ids, who)
assert paced() - before == 6, ("paced at critical", paced() - before)
a.send(json.dumps({"t": "dm", "to": 63, "text": "direct", "cid": "dm1"}))
ack = until(a, lambda f: f["t"] == "ack" and f["cid"] == "dm1")
assert until(c, lambda f: f["t"] == "msg" and f.get("dm") == 61)["id"] == ack["id"]
assert paced() - before == 6, "a DM is never paced"
print("ok room traffic paced at critical", flush=True)

level(None)
before = paced()
ids = sends(["m7"], "n")
for ws in (b, c, d):
    check_in_order(ws, ids, "normal")
assert paced() == before
print("ok nothing paced at normal", flush=True)
