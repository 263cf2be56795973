"""COUNT chat users in room 1 of one node, driven line by line from a test over stdin.

Users 101..(100+COUNT) connect and join room 1, then the script prints
{"event":"ready"}. Each stdin line is a command; each answer is one JSON line:
  traffic        every user sends one message; answers {"event":"traffic","acked":n,
                 "received":[distinct msg ids each connection got, in user order]}
  expect_close   every connection is closed by the node: {"event":"closed","codes":[..]}
Usage: loops_room_check.py PORT JWT_SECRET COUNT
"""
import json
import sys
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET, COUNT = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])


def token(sub):
    return hs256_token(SECRET, sub)


def say(obj):
    print(json.dumps(obj), flush=True)


def open_joined(user):
    ws = connect(f"ws://127.0.0.1:{PORT}/ws?token={token(user)}")
    ws.send(json.dumps({"t": "join", "room": 1}))
    while json.loads(ws.recv(timeout=10)).get("t") != "joined":
        pass
    return ws


sockets = [open_joined(101 + i) for i in range(COUNT)]
say({"event": "ready"})

for line in sys.stdin:
    command = line.strip()
    if command == "traffic":
        for i, ws in enumerate(sockets):
            ws.send(json.dumps({"t": "send", "room": 1, "text": f"hello from {i}", "cid": f"c{i}"}))
        acked, received = 0, [set() for _ in sockets]
        end = time.time() + 10
        for i, ws in enumerate(sockets):
            got_ack = False
            while time.time() < end and (not got_ack or len(received[i]) < COUNT - 1):
                try:
                    frame = json.loads(ws.recv(timeout=max(0.01, end - time.time())))
                except TimeoutError:
                    break
                if frame.get("t") == "ack":
                    got_ack = True
                elif frame.get("t") == "msg":
                    received[i].add(frame["id"])
            acked += 1 if got_ack else 0
        say({"event": "traffic", "acked": acked, "received": [len(r) for r in received]})
    elif command == "expect_close":
        codes = []
        for ws in sockets:
            try:
                while True:
                    ws.recv(timeout=10)
            except ConnectionClosed:
                codes.append(ws.close_code)
            except TimeoutError:
                codes.append(None)
        say({"event": "closed", "codes": codes})
    elif command == "quit":
        break
