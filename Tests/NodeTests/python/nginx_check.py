"""Chat through nginx (ops/nginx/chat.conf): a WebSocket exchange passes through, then a burst
of requests from one address meets limit_req.
Usage: nginx_check.py PROXY_PORT JWT_SECRET
Prints `ok <check>` lines; exits 1 on the first failure.
"""
import asyncio
import json
import sys
import urllib.error
import urllib.request

from websockets.asyncio.client import connect

from chat_jwt import hs256_token

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()


def token(sub):
    return hs256_token(SECRET, sub)


async def until(ws, predicate):
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if predicate(frame):
            return frame


async def chat():
    url = f"ws://127.0.0.1:{PORT}/ws?token="
    async with connect(url + token(91), compression=None) as alice, connect(url + token(92), compression=None) as bob:
        for ws in (alice, bob):
            await ws.send(json.dumps({"t": "join", "room": 9}))
            await until(ws, lambda f: f["t"] == "joined")
        await asyncio.sleep(0.3)  # both nodes subscribed to the room's channel
        for i, (sender, receiver) in enumerate([(alice, bob), (bob, alice), (alice, bob)]):
            await sender.send(json.dumps({"t": "send", "room": 9, "text": f"hello {i}", "cid": f"n{i}"}))
            ack = await until(sender, lambda f: f["t"] == "ack")
            msg = await until(receiver, lambda f: f["t"] == "msg")
            assert msg["id"] == ack["id"] and msg["text"] == f"hello {i}", (ack, msg)
    print("ok websocket chat through nginx", flush=True)


def get(path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def burst():
    await asyncio.sleep(2)  # the bucket of this address refills after the chat's requests
    statuses = await asyncio.gather(*(asyncio.to_thread(get, "/health") for _ in range(60)))
    ok, limited = statuses.count(200), statuses.count(429)
    assert limited > 0, f"no 429 in a burst of 60: {statuses}"
    assert ok >= 15, f"only {ok} answered 200: {statuses}"
    assert set(statuses) <= {200, 429}, statuses
    print(f"ok limit_req: {ok} answered, {limited} refused with 429", flush=True)
    await asyncio.sleep(1.5)
    assert get("/health") == 200, "still refused after the burst"
    print("ok served again after the burst", flush=True)


async def main():
    await chat()
    await burst()

asyncio.run(asyncio.wait_for(main(), 60))
