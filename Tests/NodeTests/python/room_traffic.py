"""Steady traffic in one room, for tests that break things on the node meanwhile.

A receiver and a sender join room 1; the sender sends COUNT messages at about 200/s,
retrying `unavailable` with the same cid, and waits for every ack; the receiver records
every msg. Prints one JSON line: {"acked": [...], "received": [...], "history": [...]}.
Usage: room_traffic.py PORT JWT_SECRET COUNT
"""
import json
import sys
import time

from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET, COUNT = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])


def token(sub):
    return hs256_token(SECRET, sub)


def open_joined(user):
    ws = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(user)}", compression=None)
    ws.send(json.dumps({"t": "join", "room": 1}))
    while json.loads(ws.recv(timeout=10)).get("t") != "joined":
        pass
    return ws


receiver, sender = open_joined(11), open_joined(12)
acked, received = {}, set()
pending = {}
deadline = time.time() + 60
for i in range(COUNT):
    cid = f"t{i}"
    pending[cid] = time.time()
    sender.send(json.dumps({"t": "send", "room": 1, "text": f"m{i}", "cid": cid}))
    time.sleep(0.005)
    while True:
        try:
            frame = json.loads(sender.recv(timeout=0))
        except TimeoutError:
            break
        if frame["t"] == "ack":
            acked[frame["cid"]] = frame["id"]
        elif frame["t"] == "error" and frame.get("cid"):
            sender.send(json.dumps({"t": "send", "room": 1, "text": "retry", "cid": frame["cid"]}))
while len(acked) < COUNT and time.time() < deadline:
    frame = json.loads(sender.recv(timeout=10))
    if frame["t"] == "ack":
        acked[frame["cid"]] = frame["id"]
    elif frame["t"] == "error" and frame.get("cid"):
        sender.send(json.dumps({"t": "send", "room": 1, "text": "retry", "cid": frame["cid"]}))
end = time.time() + 2
while time.time() < end:
    try:
        frame = json.loads(receiver.recv(timeout=max(0.01, end - time.time())))
    except TimeoutError:
        break
    if frame["t"] == "msg":
        received.add(frame["id"])
receiver.send(json.dumps({"t": "history", "room": 1, "limit": 200}))
history = []
while True:
    frame = json.loads(receiver.recv(timeout=10))
    if frame["t"] == "history":
        history = [m["id"] for m in frame["msgs"]]
        break
    if frame["t"] == "msg":
        received.add(frame["id"])
print(json.dumps({"acked": sorted(acked.values()), "received": sorted(received), "history": history}))
