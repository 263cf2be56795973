"""Two phases around a history wipe. `before`: join room 3, send one message, print
{"epoch": E, "id": I}. `after E I`: rejoin with since=I and epoch=E, print the joined frame.
Usage: resume_check.py PORT JWT_SECRET before | after EPOCH ID
"""
import json
import sys

from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()


def token(sub):
    return hs256_token(SECRET, sub)


def until(ws, t):
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame.get("t") == t:
            return frame


with connect(f"ws://127.0.0.1:{PORT}/ws?token={token(31)}", compression=None) as ws:
    if sys.argv[3] == "before":
        ws.send(json.dumps({"t": "join", "room": 3}))
        joined = until(ws, "joined")
        ws.send(json.dumps({"t": "send", "room": 3, "text": "before the wipe", "cid": "b1"}))
        print(json.dumps({"epoch": joined["epoch"], "id": until(ws, "ack")["id"]}))
    else:
        ws.send(json.dumps({"t": "join", "room": 3, "since": sys.argv[5], "epoch": sys.argv[4]}))
        print(json.dumps(until(ws, "joined")))
