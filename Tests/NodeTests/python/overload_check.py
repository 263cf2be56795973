"""What clients see while chat-load pushes a node into critical and after it stops.

Users 81 (A) and 82 (B) exchange DMs, 83 (C) tries typing; all three join room 50. The
script connects, writes the marker file MARK (the test then starts chat-load), and:
- waits for `mode` critical (pushed by the load, not pinned);
- typing is answered `degraded`; DMs A -> B are acked and every acked one reaches B
  (a DM refused with `rate_limited` is retried after `retry_ms`, with the same cid);
- room messages of A are acked and reach B and C;
- waits for `mode` normal, which the node reaches by itself once the load is gone;
- every acked message of room 50 is in its history; prints `history N`, the number of
  chat-load messages (texts `<stamp>:<sender>:<run tag>:...`) kept in rooms ROOMS.
Usage: overload_check.py PORT JWT_SECRET MARK ROOMS(comma separated)
"""
import json
import sys
import time

from websockets.sync.client import connect

from chat_jwt import hs256_token
import frames

PORT, SECRET, MARK = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
LOAD_ROOMS = [int(r) for r in sys.argv[4].split(",")]
ROOM = 50


def token(sub):
    return hs256_token(SECRET, sub, ttl=900)


def until(ws, pred, timeout=20):
    return frames.until(ws, pred, timeout)


def acked(ws, command, attempts=8):
    """Sends until acked; a `rate_limited` refusal is retried with the same cid."""
    cid = command["cid"]
    for _ in range(attempts):
        ws.send(json.dumps(command))
        answer = until(ws, lambda f: f.get("cid") == cid and f["t"] in ("ack", "error"), timeout=30)
        if answer["t"] == "ack":
            return answer
        assert answer["code"] == "rate_limited", answer
        time.sleep(answer.get("retry_ms", 1000) / 1000 + 0.05)
    raise AssertionError(f"{cid} never acked")


a, b, c = (connect(f"ws://127.0.0.1:{PORT}/ws?token={token(sub)}", compression=None).__enter__() for sub in (81, 82, 83))
for ws in (a, b, c):
    ws.send(json.dumps({"t": "join", "room": ROOM}))
    until(ws, lambda f: f["t"] == "joined")
open(MARK, "w").close()
print("ready", flush=True)

for ws in (a, b, c):
    until(ws, lambda f: f["t"] == "mode" and f["level"] == "critical", timeout=120)
print("ok mode critical under load", flush=True)

c.send(json.dumps({"t": "typing", "room": ROOM}))
until(c, lambda f: f["t"] == "error" and f["code"] == "degraded")
print("ok typing degraded", flush=True)

dm_ids = []
for index in range(5):
    ack = acked(a, {"t": "dm", "to": 82, "text": f"dm {index}", "cid": f"dm{index}"})
    got = until(b, lambda f: f["t"] == "msg" and f.get("dm") == 81 and f["id"] == ack["id"], timeout=30)
    assert got["text"] == f"dm {index}", got
    dm_ids.append(ack["id"])
print(f"ok every DM delivered ({len(dm_ids)})", flush=True)

room_ids = []
for index in range(2):
    ack = acked(a, {"t": "send", "room": ROOM, "text": f"room {index}", "cid": f"room{index}"})
    room_ids.append(ack["id"])
for ws in (b, c):
    for message_id in room_ids:
        until(ws, lambda f: f["t"] == "msg" and f.get("room") == ROOM and f["id"] == message_id, timeout=30)
print("ok room messages delivered at critical", flush=True)

until(a, lambda f: f["t"] == "mode" and f["level"] == "normal", timeout=180)
print("ok back to normal by itself", flush=True)

# Every acked message of room 50 is in its history.
a.send(json.dumps({"t": "history", "room": ROOM, "limit": 200}))
kept = {m["id"] for m in until(a, lambda f: f["t"] == "history" and f["room"] == ROOM)["msgs"]}
assert set(room_ids) <= kept, (room_ids, kept)
print("ok acked room messages in history", flush=True)

# chat-load's messages kept in its rooms (paged, newest first).
total = 0
for room in LOAD_ROOMS:
    a.send(json.dumps({"t": "join", "room": room}))
    until(a, lambda f: f["t"] == "joined" and f["room"] == room)
    before = None
    for _ in range(100):
        request = {"t": "history", "room": room, "limit": 200}
        if before:
            request["before"] = before
        a.send(json.dumps(request))
        page = until(a, lambda f: f["t"] == "history" and f["room"] == room)["msgs"]
        total += sum(1 for m in page if m["text"].count(":") >= 3)
        if len(page) < 200:
            break
        before = page[0]["id"]
print(f"history {total}", flush=True)
