"""The chat protocol end to end against a running chat-node, with an independent client.

Uses the `websockets` package and Python's own HMAC for tokens (not the node's code).
Prints "ok <check>" per check; exits non-zero at the first failure.
Usage: chat_protocol_check.py PORT JWT_SECRET [loops]

With `loops` (a node with GATEWAY_LOOPS > 1) the rejoin check allows what the order of
two sockets on two loops allows: a message sent right after another connection's rejoin
may reach it live before the node processed the rejoin, and then be in the rejoin's
history too; after `joined`, still nothing twice and nothing lost.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.error
import urllib.request

from websockets.sync.client import connect

PORT = int(sys.argv[1])
SECRET = sys.argv[2].encode()
SEVERAL_LOOPS = len(sys.argv) > 3 and sys.argv[3] == "loops"
URL = f"ws://127.0.0.1:{PORT}/ws"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub, exp_in=3600, alg="HS256", secret=SECRET, **claims) -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = dict(sub=str(sub), exp=int(time.time()) + exp_in, **claims)
    payload = b64(json.dumps(body).encode())
    signing = f"{header}.{payload}".encode()
    signature = b64(hmac.new(secret, signing, hashlib.sha256).digest()) if alg == "HS256" else ""
    return f"{header}.{payload}.{signature}"


def client(user, **claims):
    return connect(f"{URL}?token={token(user, **claims)}", compression=None)


def send(ws, **obj):
    ws.send(json.dumps(obj))


def recv_until(ws, predicate, timeout=5.0, what="frame"):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        try:
            raw = ws.recv(timeout=max(0.01, deadline - time.time()))
        except TimeoutError:
            break
        frame = json.loads(raw) if isinstance(raw, str) else raw
        seen.append(frame)
        if predicate(frame):
            return frame
    raise AssertionError(f"no {what} within {timeout}s; saw {seen}")


def none_within(ws, predicate, timeout=0.4):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            raw = ws.recv(timeout=max(0.01, deadline - time.time()))
        except TimeoutError:
            return
        frame = json.loads(raw) if isinstance(raw, str) else raw
        assert not predicate(frame), f"unexpected {frame}"


def is_t(t, **fields):
    return lambda f: isinstance(f, dict) and f.get("t") == t and all(f.get(k) == v for k, v in fields.items())


def joined(ws, room, **extra):
    send(ws, t="join", room=room, **extra)
    return recv_until(ws, is_t("joined", room=room), what=f"joined {room}")


def ok(name):
    print(f"ok {name}", flush=True)


def main():
    alice, bob, carol = 101, 202, 303
    a1, a2, b1 = client(alice), client(alice), client(bob)

    # join: members are users, not connections; epoch present; empty history.
    j = joined(a1, 1)
    joined(a2, 1)
    j = joined(b1, 1)
    assert j["members"] == 2 and j["history"] == [] and isinstance(j["epoch"], str), j
    ok("join")

    # send: ack to the sender, msg exactly once to every other connection, never to the sender.
    send(a1, t="send", room=1, text="hello", cid="c1")
    ack = recv_until(a1, is_t("ack", cid="c1"), what="ack")
    for ws in (a2, b1):
        m = recv_until(ws, is_t("msg", room=1), what="msg")
        assert m["id"] == ack["id"] and m["ts"] == ack["ts"] and m["from"] == alice and m["text"] == "hello", (m, ack)
        none_within(ws, is_t("msg", id=ack["id"]), 0.3)
    none_within(a1, is_t("msg", id=ack["id"]), 0.3)
    assert isinstance(ack["id"], str) and ack["id"].isdigit()
    ok("send ack msg")

    # cid dedupe: the same cid answers the first ack and stores nothing new.
    send(a1, t="send", room=1, text="hello again", cid="c1")
    again = recv_until(a1, is_t("ack", cid="c1"))
    assert again["id"] == ack["id"], (again, ack)
    none_within(b1, is_t("msg", room=1), 0.4)
    ok("cid dedupe")

    # history order and paging.
    ids = [ack["id"]]
    for i in range(4):
        send(a1, t="send", room=1, text=f"m{i}", cid=f"h{i}")
        ids.append(recv_until(a1, is_t("ack", cid=f"h{i}"))["id"])
    send(b1, t="history", room=1, limit=3)
    h = recv_until(b1, is_t("history", room=1))
    assert [m["id"] for m in h["msgs"]] == ids[-3:], h
    send(b1, t="history", room=1, before=ids[-3], limit=50)
    h = recv_until(b1, is_t("history", room=1))
    assert [m["id"] for m in h["msgs"]] == ids[:2], h
    ok("history paging")

    # resume with since: exactly the missed messages.
    epoch = j["epoch"]
    b1.close()
    missed = []
    for i in range(3):
        send(a1, t="send", room=1, text=f"while away {i}", cid=f"w{i}")
        missed.append(recv_until(a1, is_t("ack", cid=f"w{i}"))["id"])
    b1 = client(bob)
    r = joined(b1, 1, since=ids[-1], epoch=epoch)
    assert [m["id"] for m in r["history"]] == missed and not r.get("gap"), r
    r2 = joined(client(bob), 1, since=ids[-1], epoch="another-epoch")
    assert r2.get("gap") is True, r2
    ok("resume since and gap")

    # DMs: every connection of both users except the sending one.
    send(a1, t="dm", to=bob, text="psst", cid="d1")
    dack = recv_until(a1, is_t("ack", cid="d1"))
    m = recv_until(b1, is_t("msg", dm=alice))
    assert m["id"] == dack["id"] and m["text"] == "psst", m
    m2 = recv_until(a2, is_t("msg", dm=bob))
    assert m2["id"] == dack["id"], m2
    none_within(a1, is_t("msg", id=dack["id"]), 0.3)
    ok("dm")

    # typing: others (including the typer's other connections) but not the sender.
    send(b1, t="typing", room=1)
    recv_until(a1, is_t("typing", room=1, user=bob))
    recv_until(a2, is_t("typing", room=1, user=bob))
    none_within(b1, is_t("typing"), 0.3)
    ok("typing")

    # read: members get read; not echoed.
    send(b1, t="read", room=1, id=missed[-1])
    rd = recv_until(a1, is_t("read", room=1, user=bob))
    assert rd["id"] == missed[-1], rd
    none_within(b1, is_t("read"), 0.3)
    ok("read")

    # edit: the author only.
    send(a1, t="edit", room=1, id=missed[0], text="edited!")
    e = recv_until(b1, is_t("edited", room=1))
    assert e["id"] == missed[0] and e["text"] == "edited!" and isinstance(e["ets"], int), e
    send(b1, t="edit", room=1, id=missed[0], text="hijack")
    recv_until(b1, is_t("error", code="not_author"))
    ok("edit")

    # presence: reply, then pushes on disconnect and connect.
    send(a1, t="presence", users=[bob, 999])
    p = recv_until(a1, is_t("presence"))
    assert p["online"] == [bob], p
    watcher = client(707)
    send(watcher, t="presence", users=[808])
    assert recv_until(watcher, is_t("presence"))["online"] == []
    watched = client(808)
    recv_until(watcher, is_t("presence", user=808, online=True))
    watched.close()
    recv_until(watcher, is_t("presence", user=808, online=False))
    ok("presence")

    # errors: forbidden, not_member, too_large, malformed, unknown t; the connection stays open.
    c1 = client(carol, rooms=[5])
    send(c1, t="join", room=1)
    recv_until(c1, is_t("error", code="forbidden"))
    send(c1, t="send", room=2, text="x", cid="n1")
    recv_until(c1, is_t("error", code="not_member"))
    send(c1, t="send", room=5, text="x" * 5000, cid="big")
    e = recv_until(c1, is_t("error", code="too_large"))
    assert e.get("cid") == "big", e
    c1.send("{not json")
    recv_until(c1, is_t("error", code="bad_request"))
    send(c1, t="teleport")
    recv_until(c1, is_t("error", code="bad_request"))
    joined(c1, 5)
    ok("errors keep the connection")

    # chats: rooms and DM peers with last message, unread count and DM online flag.
    send(a1, t="chats")
    items = recv_until(a1, is_t("chats"))["items"]
    room_item = next(i for i in items if i.get("room") == 1)
    dm_item = next(i for i in items if i.get("dm") == bob)
    assert room_item["last"]["id"] == missed[-1] and room_item["unread"] == 0, room_item
    assert dm_item["last"]["id"] == dack["id"] and "online" in dm_item, dm_item
    b3 = client(bob)
    send(b3, t="chats")
    bitems = recv_until(b3, is_t("chats"))["items"]
    broom = next(i for i in bitems if i.get("room") == 1)
    assert broom["unread"] == 0, broom  # bob read up to missed[-1]; later messages: none
    bdm = next(i for i in bitems if i.get("dm") == alice)
    assert bdm["unread"] == 1 and bdm["online"] is True, bdm
    ok("chats")

    # binary frames both ways.
    bin_ws = client(404)
    joined(bin_ws, 7)
    json_ws = client(505)
    joined(json_ws, 7)
    cid = b"bc1"
    text = "binary hello".encode()
    payload = bytes([len(cid)]) + cid + text
    bin_ws.send(struct.pack(">BIHIH", 1, 0, 7, 0, len(payload)) + payload)
    frame = recv_until(bin_ws, lambda f: isinstance(f, bytes) and f[0] == 4, what="binary ack")
    t, uid, room, ts, length = struct.unpack(">BIHIH", frame[:13])
    assert room == 7 and length == len(frame) - 13 and frame[13 + 8:] == cid, frame
    bin_id = str(struct.unpack(">Q", frame[13:21])[0])
    m = recv_until(json_ws, is_t("msg", room=7))
    assert m["id"] == bin_id and m["text"] == "binary hello", m
    send(json_ws, t="send", room=7, text="to binary", cid="j1")
    f = recv_until(bin_ws, lambda f: isinstance(f, bytes) and f[0] == 1, what="binary msg")
    assert f[13 + 8:] == b"to binary", f
    bin_ws.send(b"\x01\x00")
    recv_until(bin_ws, is_t("error", code="bad_request"))
    ok("binary frames")

    # rate limit: burst 10, then rate_limited with retry_ms; every acked message is stored.
    rl = client(606)
    joined(rl, 9)
    for i in range(15):
        send(rl, t="send", room=9, text=f"r{i}", cid=f"r{i}")
    acked, limited = [], []
    deadline = time.time() + 5
    while len(acked) + len(limited) < 15 and time.time() < deadline:
        f = json.loads(rl.recv(timeout=5))
        if f["t"] == "ack":
            acked.append(f["id"])
        elif f["t"] == "error" and f["code"] == "rate_limited":
            assert f["retry_ms"] > 0, f
            limited.append(f)
    assert len(acked) == 10 and len(limited) == 5, (len(acked), len(limited))
    send(rl, t="history", room=9, limit=50)
    stored = [m["id"] for m in recv_until(rl, is_t("history", room=9))["msgs"]]
    assert stored == acked, (stored, acked)
    ok("rate limit")

    # joining again while subscribed: every message once, in the history or live.
    x1, y1 = client(707), client(708)
    joined(x1, 11)
    joined(y1, 11)
    send(y1, t="join", room=11)
    sent = []
    for i in range(5):
        send(x1, t="send", room=11, text=f"x{i}", cid=f"x{i}")
    for i in range(5):
        sent.append(recv_until(x1, is_t("ack", cid=f"x{i}"))["id"])
    seen, early, history, late = [], [], None, []
    deadline = time.time() + 1.5
    while time.time() < deadline:
        try:
            f = json.loads(y1.recv(timeout=max(0.01, deadline - time.time())))
        except TimeoutError:
            break
        if f.get("t") == "msg":
            seen.append(f["id"])
            (early if history is None else late).append(f["id"])
        elif f.get("t") == "joined":
            history = [m["id"] for m in f["history"] if m["id"] in sent]
            seen += history
    if SEVERAL_LOOPS:
        # Live before `joined` may repeat in its history; from `joined` on, each once.
        assert history is not None, seen
        after = history + late
        assert sorted(set(early + after)) == sorted(sent), (early, history, late, sent)
        assert len(set(after)) == len(after) and not set(early) & set(late), (early, history, late)
    else:
        assert sorted(seen) == sorted(sent), (seen, sent)
    ok("rejoin once")

    # token forgeries are refused before the upgrade with 401.
    forged = {
        "alg none": token(1, alg="none"),
        "bad signature": token(1, secret=b"another secret entirely"),
        "expired": token(1, exp_in=-10),
        "bad sub": token("-1"),
    }
    for name, bad in forged.items():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/ws?token={bad}", timeout=5)
            raise AssertionError(f"{name} accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 401, (name, error.code)
    ok("jwt forgeries 401")


if __name__ == "__main__":
    main()
