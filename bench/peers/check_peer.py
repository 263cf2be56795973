"""Checks that a peer of bench/peers speaks the subset of PROTOCOL.md that chat-load uses.

    .venv/bin/python bench/peers/check_peer.py PORT

With the `websockets` client: two connections join room 7 (`joined`, members counted), one
sends (`ack` to it with the message id, `msg` to the other with the same id, the sender's
user id from the JWT's `sub`, and the text as sent, escapes included; nothing back to the
sender), a send to a room not joined is `not_member` naming the `cid`, an unknown type and
a frame that is not JSON are `bad_request`, `leave` answers `left`, and an upgrade without a
token is refused with 401. Prints `peer ok` and exits 0, else names the first difference
and exits 1. Bounded: every wait has a timeout.
"""
import asyncio
import base64
import json
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


def token(user: int) -> str:
    """An unsigned JWT-shaped token: the peers read `sub` and verify nothing."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256'})}.{part({'sub': str(user)})}.x"


async def event(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


async def check(port: int) -> None:
    base = f"ws://127.0.0.1:{port}/ws"
    async with connect(f"{base}?token={token(41)}", proxy=None) as a, \
            connect(f"{base}?token={token(42)}", proxy=None) as b:
        await a.send(json.dumps({"t": "join", "room": 7}))
        joined = await event(a)
        expect(joined.get("t") == "joined" and joined.get("room") == 7 and joined.get("history") == [],
               f"joined: {joined}")
        await b.send(json.dumps({"t": "join", "room": 7}))
        joined = await event(b)
        expect(joined.get("members") == 2, f"second joined counts 2 members: {joined}")

        text = 'caf\u00e9 "quoted" \\ back'
        await a.send(json.dumps({"t": "send", "room": 7, "text": text, "cid": "c-1"}))
        ack = await event(a)
        expect(ack.get("t") == "ack" and ack.get("cid") == "c-1" and isinstance(ack.get("id"), str), f"ack: {ack}")
        msg = await event(b)
        expect(msg.get("t") == "msg" and msg.get("room") == 7 and msg.get("id") == ack["id"], f"msg: {msg}")
        expect(msg.get("from") == 41 and msg.get("text") == text and isinstance(msg.get("ts"), int), f"msg: {msg}")

        await a.send(json.dumps({"t": "send", "room": 8, "text": "x", "cid": "c-2"}))
        error = await event(a)  # also proves the sender got no copy of its own message
        expect(error.get("t") == "error" and error.get("code") == "not_member" and error.get("cid") == "c-2",
               f"not_member: {error}")
        await a.send(json.dumps({"t": "no-such-type"}))
        error = await event(a)
        expect(error.get("t") == "error" and error.get("code") == "bad_request", f"unknown type: {error}")
        await a.send("{not json")
        error = await event(a)
        expect(error.get("t") == "error" and error.get("code") == "bad_request", f"not JSON: {error}")

        await b.send(json.dumps({"t": "leave", "room": 7}))
        left = await event(b)
        expect(left.get("t") == "left" and left.get("room") == 7, f"left: {left}")
        await a.send(json.dumps({"t": "send", "room": 7, "text": "after leave", "cid": "c-3"}))
        expect((await event(a)).get("t") == "ack", "ack after the other left")
        try:
            extra = await asyncio.wait_for(b.recv(), timeout=0.3)
            raise AssertionError(f"a member that left still got {extra}")
        except asyncio.TimeoutError:
            pass
    try:
        async with connect(base, proxy=None, open_timeout=5):
            raise AssertionError("an upgrade without a token was accepted")
    except InvalidStatus as refused:
        expect(refused.response.status_code == 401, f"no token: {refused.response.status_code}")


def main() -> int:
    try:
        asyncio.run(check(int(sys.argv[1])))
    except (AssertionError, OSError, asyncio.TimeoutError) as failure:
        print(f"peer differs: {failure!r}")
        return 1
    print("peer ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
