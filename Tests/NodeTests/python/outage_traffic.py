"""Traffic in two rooms on different shards (room 1 on shard 1, room 1500 on shard 2)
while the test kills shard 1 and restarts it. Sends alternately at ~40 msg/s for SECONDS,
retries `unavailable` with the same cid, waits for every ack, then reads both histories.
Prints one JSON line: per room the acked ids and the history ids, and how many room-1500
acks arrived while room 1 had acks outstanding for more than a second (the outage).
Usage: outage_traffic.py PORT JWT_SECRET SECONDS
"""
import json
import sys
import time

from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET, SECONDS = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])


def token(sub):
    return hs256_token(SECRET, sub)


ws = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(51)}", compression=None).__enter__()
for room in (1, 1500):
    ws.send(json.dumps({"t": "join", "room": room}))
    while json.loads(ws.recv(timeout=10)).get("t") != "joined":
        pass

rooms = {1: {}, 1500: {}}
pending = {}  # cid -> (room, sent_at)
acked_during_outage = 0


def handle(frame):
    global acked_during_outage
    if frame.get("t") == "ack" and frame["cid"] in pending:
        room, _ = pending.pop(frame["cid"])
        rooms[room][frame["cid"]] = frame["id"]
        stalled = any(r == 1 and time.time() - at > 1.0 for r, at in pending.values())
        if room == 1500 and stalled:
            acked_during_outage += 1
    elif frame.get("t") == "error" and frame.get("cid") in pending:
        room, at = pending[frame["cid"]]
        ws.send(json.dumps({"t": "send", "room": room, "text": "retry", "cid": frame["cid"]}))


start, i = time.time(), 0
while time.time() - start < SECONDS:
    room = 1 if i % 2 == 0 else 1500
    cid = f"o{i}"
    pending[cid] = (room, time.time())
    ws.send(json.dumps({"t": "send", "room": room, "text": f"m{i}", "cid": cid}))
    i += 1
    deadline = time.time() + 0.025
    while time.time() < deadline:
        try:
            handle(json.loads(ws.recv(timeout=max(0.001, deadline - time.time()))))
        except TimeoutError:
            break
end = time.time() + 30
while pending and time.time() < end:
    try:
        handle(json.loads(ws.recv(timeout=1)))
    except TimeoutError:
        pass
histories = {}
for room in rooms:
    ws.send(json.dumps({"t": "history", "room": room, "limit": 200}))
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame.get("t") == "history" and frame["room"] == room:
            histories[room] = [m["id"] for m in frame["msgs"]]
            break
print(json.dumps({
    "sent": i, "unacked": len(pending), "acked_during_outage": acked_during_outage,
    "rooms": {str(r): {"acked": sorted(rooms[r].values()), "history": histories[r]} for r in rooms},
}))
