"""Two chat users for the /metrics tests, driven line by line from a test over stdin.

User 11 (A) connects to PORT_A, user 12 (B) to PORT_B (the same node or another one);
both join every room of ROOMS (comma-separated). Then each stdin line is a command and
each answer one JSON line on stdout:
  send TEXT   A sends TEXT to every room, 5 ms apart: {"event":"sent","acked":N,"received":N}
              (acks A got, messages B got, within 10 s)
  dm TEXT     A sends TEXT to B as a DM: {"event":"dm","acked":bool,"received":bool}
  typing      A types in the first room: {"event":"typed","received":bool}
              (whether B got the typing event within 1 s)
  garbage     A sends a frame that is not a command: {"event":"refused","error":bool}
  quit
Usage: metrics_peer.py PORT_A PORT_B JWT_SECRET ROOMS
"""
import json
import sys
import time

from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT_A, PORT_B, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
ROOMS = [int(room) for room in sys.argv[4].split(",")]


def token(sub):
    return hs256_token(SECRET, sub)


def say(obj):
    print(json.dumps(obj), flush=True)


def collect(ws, predicate, wanted, timeout):
    """Frames matching predicate until `wanted` of them or the timeout."""
    found, end = [], time.time() + timeout
    while len(found) < wanted and time.time() < end:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, end - time.time())))
        except TimeoutError:
            break
        if predicate(frame):
            found.append(frame)
    return found


def open_joined(port, user):
    ws = connect(f"ws://127.0.0.1:{port}/ws?token={token(user)}", compression=None)
    for room in ROOMS:
        ws.send(json.dumps({"t": "join", "room": room}))
    frames, joined, end = [], [], time.time() + 10
    while len(joined) < len(ROOMS) and time.time() < end:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, end - time.time())))
        except TimeoutError:
            break
        if frame.get("t") == "joined":
            joined.append(frame.get("room"))
        else:
            frames.append(frame)
    if len(joined) < len(ROOMS):
        say({"event": "join_failed", "user": user, "joined": joined,
             "other": frames})
        raise SystemExit(1)
    return ws


a, b = open_joined(PORT_A, 11), open_joined(PORT_B, 12)
say({"event": "joined"})
counter = 0
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "send":
        cids = []
        for room in ROOMS:
            counter += 1
            cids.append(f"c{counter}")
            a.send(json.dumps({"t": "send", "room": room, "text": argument, "cid": cids[-1]}))
            time.sleep(0.005)  # within the rate limit's burst of 10 and its refill (RATE_LIMIT=100000)
        acks = collect(a, lambda f: f.get("t") == "ack" and f.get("cid") in cids, len(cids), 10)
        got = collect(b, lambda f: f.get("t") == "msg" and f.get("text") == argument, len(cids), 10)
        say({"event": "sent", "acked": len(acks), "received": len(got)})
    elif command == "dm":
        counter += 1
        cid = f"c{counter}"
        a.send(json.dumps({"t": "dm", "to": 12, "text": argument, "cid": cid}))
        ack = collect(a, lambda f: f.get("t") == "ack" and f.get("cid") == cid, 1, 10)
        got = collect(b, lambda f: f.get("t") == "msg" and f.get("text") == argument, 1, 10)
        say({"event": "dm", "acked": len(ack) == 1, "received": len(got) == 1})
    elif command == "typing":
        a.send(json.dumps({"t": "typing", "room": ROOMS[0]}))
        got = collect(b, lambda f: f.get("t") == "typing", 1, 1)
        say({"event": "typed", "received": len(got) == 1})
    elif command == "garbage":
        a.send("this is not a command")
        error = collect(a, lambda f: f.get("t") == "error", 1, 10)
        say({"event": "refused", "error": len(error) == 1})
    elif command == "quit":
        break
    else:
        say({"event": "error", "unknown": command})
