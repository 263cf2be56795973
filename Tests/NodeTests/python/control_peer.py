"""Two chat users in one room, driven line by line from a test over stdin.

Users 11 (A) and 12 (B) connect and join ROOM; then each stdin line is a command, and
each answer is one JSON line on stdout:
  send TEXT          A sends TEXT: {"event":"sent","acked":bool,"received":bool}
                     (received: B got it as a msg)
  expect_admin TEXT  both get an admin msg with TEXT from user 0:
                     {"event":"admin","a":{...msg},"b":{...msg}}
  expect_close       both connections are closed by the node: {"event":"closed","codes":[..]}
  quit
Usage: control_peer.py PORT JWT_SECRET ROOM
"""
import json
import sys
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET, ROOM = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])


def token(sub):
    return hs256_token(SECRET, sub)


def say(obj):
    print(json.dumps(obj), flush=True)


def wait_for(ws, predicate, timeout=10):
    """The first frame matching predicate, or None after timeout."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, end - time.time())))
        except TimeoutError:
            return None
        if predicate(frame):
            return frame
    return None


def open_joined(user):
    ws = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(user)}", compression=None)
    ws.send(json.dumps({"t": "join", "room": ROOM}))
    if wait_for(ws, lambda f: f.get("t") == "joined") is None:
        raise SystemExit(f"user {user} could not join room {ROOM}")
    return ws


a, b = open_joined(11), open_joined(12)
say({"event": "joined"})
counter = 0
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "send":
        counter += 1
        cid = f"c{counter}"
        a.send(json.dumps({"t": "send", "room": ROOM, "text": argument, "cid": cid}))
        ack = wait_for(a, lambda f: f.get("t") == "ack" and f.get("cid") == cid)
        got = wait_for(b, lambda f: f.get("t") == "msg" and f.get("text") == argument)
        say({"event": "sent", "acked": ack is not None, "received": got is not None})
    elif command == "expect_admin":
        def admin(f):
            return f.get("t") == "msg" and f.get("from") == 0 and f.get("text") == argument
        say({"event": "admin", "a": wait_for(a, admin), "b": wait_for(b, admin)})
    elif command == "expect_close":
        codes = []
        for ws in (a, b):
            try:
                while True:
                    ws.recv(timeout=10)
            except ConnectionClosed as closed:
                codes.append(closed.rcvd.code if closed.rcvd else None)
            except TimeoutError:
                codes.append("timeout")
        say({"event": "closed", "codes": codes})
    elif command == "quit":
        break
    else:
        say({"event": "error", "unknown": command})
