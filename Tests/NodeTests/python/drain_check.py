"""SIGTERM in the middle of a flood: what a drain promises to one client.
Usage: drain_check.py PORT_A PORT_B JWT_SECRET PID_A

Forty clients on node A, each in a room of its own, send messages in quick bursts without waiting for acks (many are in
flight at any moment); after 600 acks node A gets SIGTERM. The clients keep sending until A
closes their connections. Then, through node B (same Valkey), the room's history must hold exactly the
messages A acknowledged: everything acked is stored, and nothing was stored without its ack
reaching the client (a stored message without an ack would be sent again elsewhere and
stored twice). Every close code must be 1001 and A must have exited within 10 s.
Prints `ok <check>` lines; exits 1 on the first failure.
"""
import asyncio
import json
import os
import signal
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_jwt import hs256_token

PORT_A, PORT_B, SECRET, PID = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4])
ROOM, FIRST_USER, USERS, ROUNDS, PER_ROUND, SIGNAL_AFTER = 7, 77, 40, 100, 8, 1500


def token(sub):
    return hs256_token(SECRET, sub)


def exited(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return True


class CheckFailed(Exception):
    pass


def fail(why):
    raise CheckFailed(why)


class Flooder:
    """One user on node A sending bursts of 8 (under the per-user burst of 10) every 20 ms, not
    waiting for acks."""

    def __init__(self, uid, room):
        self.uid = uid
        self.room = room
        self.acked = {}
        self.refused = 0
        self.sent = 0
        self.ws = None

    async def open(self):
        self.ws = await connect(f"ws://127.0.0.1:{PORT_A}/ws?token={token(self.uid)}", compression=None,
                                ping_interval=None, max_queue=None, close_timeout=5)
        await self.ws.send(json.dumps({"t": "join", "room": self.room}))
        while json.loads(await asyncio.wait_for(self.ws.recv(), 10)).get("t") != "joined":
            pass

    async def read(self, on_ack):
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("t") == "ack":
                    self.acked[frame["cid"]] = int(frame["id"])
                    on_ack()
                elif frame.get("t") == "error" and frame.get("code") == "rate_limited":
                    self.refused += 1  # answered and not stored: fine
                elif frame.get("t") == "error":
                    fail(f"error frame {frame}")
        except ConnectionClosed:
            pass

    async def send(self):
        try:
            for r in range(ROUNDS):
                for k in range(r * PER_ROUND, (r + 1) * PER_ROUND):
                    await self.ws.send(json.dumps({"t": "send", "room": self.room, "text": f"flood {self.uid} {k}", "cid": f"f{k}"}))
                    self.sent += 1
                await asyncio.sleep(0.02)
        except ConnectionClosed:
            pass


async def main():
    signalled_at = None
    flooders = [Flooder(FIRST_USER + i, ROOM + i) for i in range(USERS)]
    for f in flooders:
        await f.open()

    def on_ack():
        nonlocal signalled_at
        if signalled_at is None and sum(len(f.acked) for f in flooders) >= SIGNAL_AFTER:
            os.kill(PID, signal.SIGTERM)
            signalled_at = time.monotonic()

    readers = [asyncio.ensure_future(f.read(on_ack)) for f in flooders]
    await asyncio.wait_for(asyncio.gather(*(f.send() for f in flooders)), 60)
    await asyncio.wait_for(asyncio.gather(*readers), 30)
    acked_count = sum(len(f.acked) for f in flooders)
    sent = sum(f.sent for f in flooders)
    refused = sum(f.refused for f in flooders)
    if signalled_at is None:
        fail(f"only {acked_count} acks before the flood ended; never signalled")
    codes = sorted({f.ws.close_code for f in flooders}, key=str)
    if codes != [1001]:
        fail(f"close codes {codes}, want 1001 for every client")
    if sent - acked_count - refused <= 0:
        print("note: no message was left unanswered; the drain had nothing in flight to finish", flush=True)
    print(f"ok closed with 1001 (sent {sent}, acked {acked_count}, rate limited {refused}, "
          f"unanswered {sent - acked_count - refused})", flush=True)

    deadline = signalled_at + 10
    while not exited(PID) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if not exited(PID):
        fail("node A still running 10 s after SIGTERM")
    print(f"ok exited {time.monotonic() - signalled_at:.1f} s after SIGTERM", flush=True)

    stored = {}
    async with connect(f"ws://127.0.0.1:{PORT_B}/ws?token={token(FIRST_USER + USERS)}", compression=None, ping_interval=None) as b:
        for f in flooders:
            await b.send(json.dumps({"t": "join", "room": f.room}))
            while json.loads(await asyncio.wait_for(b.recv(), 10)).get("t") != "joined":
                pass
            before = None
            for _ in range(40):
                request = {"t": "history", "room": f.room, "limit": 200}
                if before:
                    request["before"] = before
                await b.send(json.dumps(request))
                while True:
                    frame = json.loads(await asyncio.wait_for(b.recv(), 10))
                    if frame.get("t") == "history":
                        break
                page = frame.get("msgs", [])
                for m in page:
                    stored[m["text"]] = int(m["id"])
                if len(page) < 200:
                    break
                before = page[0]["id"]
    acked_texts = {f"flood {f.uid} {cid[1:]}": mid for f in flooders for cid, mid in f.acked.items()}
    lost = [t for t in acked_texts if t not in stored]
    unacked_stored = [t for t in stored if t not in acked_texts]
    if lost:
        fail(f"{len(lost)} acked messages not stored, e.g. {lost[:3]}")
    print(f"ok every acked message stored ({len(acked_texts)})", flush=True)
    if unacked_stored:
        fail(f"{len(unacked_stored)} messages stored whose ack never reached the client, e.g. {unacked_stored[:3]}")
    print("ok nothing stored without its ack", flush=True)


try:
    asyncio.run(asyncio.wait_for(main(), 120))
except CheckFailed as failure:
    print(f"FAIL {failure}", flush=True)
    sys.exit(1)
