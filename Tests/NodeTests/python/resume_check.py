"""Two phases around a history wipe. `before`: join room 3, send one message, print
{"epoch": E, "id": I}. `after E I`: rejoin with since=I and epoch=E, print the joined frame.
Usage: resume_check.py PORT JWT_SECRET before | after EPOCH ID
"""
import base64
import hashlib
import hmac
import json
import sys
import time

from websockets.sync.client import connect

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()


def token(sub):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": str(sub), "exp": int(time.time()) + 600}).encode())
    return f"{head}.{body}.{b64(hmac.new(SECRET, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


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
