"""Nodes sharing Valkey behave as one service. Usage:

  cross_node_check.py basic PORT_A PORT_B JWT_SECRET    room, history, DM, typing, read,
                                                        edit, presence, order across nodes
  cross_node_check.py rooms PORT_A PORT_B JWT_SECRET    room and DM only (cluster mode)
  cross_node_check.py rate PORT_A PORT_B JWT_SECRET     one rate budget on two nodes
  cross_node_check.py kill PORT_A PORT_B JWT_SECRET PID_B
                                                        presence after node B is SIGKILLed
  cross_node_check.py refusal PORT_A PORT_B JWT_SECRET VALKEY_PORT
                                                        a room holding a newer id than the
                                                        nodes make: sends go above it
  cross_node_check.py refresh PORT_A PORT_B JWT_SECRET VALKEY_PORT
                                                        a presence change whose event was lost
                                                        reaches watchers by the re-read
  cross_node_check.py stall PORT_A PORT_B JWT_SECRET VALKEY_PORT
                                                        Valkey paused: local delivery goes
                                                        on, the ack waits for the store
Prints "ok <check>" per check passed; exits non-zero on the first failure.
"""
import json
import os
import signal
import socket
import struct
import sys
import time

from websockets.sync.client import connect

from chat_jwt import hs256_token

MODE, PORT_A, PORT_B, SECRET = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()


def token(sub):
    return hs256_token(SECRET, sub)


def client(port, user):
    return connect(f"ws://127.0.0.1:{port}/ws?token={token(user)}", compression=None, max_queue=None)


def until(ws, pred, timeout=10, what="frame"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.time())))
        except TimeoutError:
            break
        if pred(frame):
            return frame
    raise AssertionError(f"timed out waiting for {what}")


def quiet(ws, pred, seconds):
    """Asserts no frame matching pred arrives within seconds."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.time())))
        except TimeoutError:
            return
        assert not pred(frame), f"unexpected {frame}"


def join(ws, room):
    ws.send(json.dumps({"t": "join", "room": room}))
    until(ws, lambda f: f["t"] == "joined" and f["room"] == room, what=f"joined {room}")


def send(ws, room, text, cid):
    ws.send(json.dumps({"t": "send", "room": room, "text": text, "cid": cid}))
    return until(ws, lambda f: f["t"] in ("ack", "error") and f.get("cid") == cid, what=f"ack {cid}")


def presence(ws, users):
    ws.send(json.dumps({"t": "presence", "users": users}))
    return until(ws, lambda f: f["t"] == "presence" and "online" in f and "user" not in f, what="presence reply")["online"]


def change(ws, user, online, timeout=10):
    return until(ws, lambda f: f["t"] == "presence" and f.get("user") == user and f.get("online") is online,
                 timeout=timeout, what=f"presence {user} {online}")


def settle():
    time.sleep(0.3)  # subscriptions leave at the end of the nodes' loop rounds


def rooms_and_dms():
    a, b = client(PORT_A, 61), client(PORT_B, 62)
    for ws in (a, b):
        join(ws, 1)
    settle()
    ids = []
    for i in range(20):
        sender, receiver = (a, b) if i % 2 == 0 else (b, a)
        ack = send(sender, 1, f"x{i}", f"c{i}")
        assert ack["t"] == "ack", ack
        m = until(receiver, lambda f: f["t"] == "msg" and f["id"] == ack["id"], what=f"msg {i}")
        assert m["text"] == f"x{i}" and m["from"] == (61 if i % 2 == 0 else 62), m
        ids.append(ack["id"])
    print("ok across nodes", flush=True)

    for ws in (a, b):
        ws.send(json.dumps({"t": "history", "room": 1, "limit": 50}))
        h = until(ws, lambda f: f["t"] == "history")
        assert [m["id"] for m in h["msgs"]] == sorted(ids, key=int), h
    print("ok shared history", flush=True)

    # A DM from 61 on A to 62 on B; 61's other connection, on B, sees it too.
    a2 = client(PORT_B, 61)
    settle()
    a.send(json.dumps({"t": "dm", "to": 62, "text": "hi b", "cid": "d1"}))
    ack = until(a, lambda f: f["t"] == "ack" and f["cid"] == "d1", what="dm ack")
    m = until(b, lambda f: f["t"] == "msg" and f.get("dm") == 61, what="dm at the peer")
    assert m["id"] == ack["id"] and m["text"] == "hi b" and m["from"] == 61, m
    mine = until(a2, lambda f: f["t"] == "msg" and f.get("dm") == 62, what="dm at the sender's other node")
    assert mine["id"] == ack["id"], mine
    # And back, from B to A.
    b.send(json.dumps({"t": "dm", "to": 61, "text": "hi a", "cid": "d2"}))
    back = until(a, lambda f: f["t"] == "msg" and f.get("dm") == 62, what="dm back")
    assert back["text"] == "hi a" and back["from"] == 62, back
    print("ok dm across nodes", flush=True)

    # The chat list of 75 (only on A, watching nobody) shows its DM peer 62, connected to B
    # only, online, and its DM peer 99, connected nowhere, offline.
    c = client(PORT_A, 75)
    for peer, cid in ((62, "d3"), (99, "d4")):
        c.send(json.dumps({"t": "dm", "to": peer, "text": "hello", "cid": cid}))
        until(c, lambda f: f["t"] == "ack" and f["cid"] == cid, what="dm ack")
    c.send(json.dumps({"t": "chats"}))
    items = until(c, lambda f: f["t"] == "chats", what="chats")["items"]
    online = {i["dm"]: i["online"] for i in items if "dm" in i}
    assert online == {62: True, 99: False}, items
    print("ok chats show a DM peer on another node online", flush=True)
    return a, b, a2, ids


def typing_reads_edits(a, b, ids):
    a.send(json.dumps({"t": "typing", "room": 1}))
    t = until(b, lambda f: f["t"] == "typing", what="typing")
    assert t["room"] == 1 and t["user"] == 61, t
    print("ok typing across nodes", flush=True)

    b.send(json.dumps({"t": "read", "room": 1, "id": ids[-1]}))
    r = until(a, lambda f: f["t"] == "read", what="read")
    assert r["room"] == 1 and r["user"] == 62 and r["id"] == ids[-1], r
    print("ok read across nodes", flush=True)

    a.send(json.dumps({"t": "edit", "room": 1, "id": ids[0], "text": "x0 fixed"}))
    e = until(b, lambda f: f["t"] == "edited", what="edited")
    assert e["id"] == ids[0] and e["text"] == "x0 fixed", e
    print("ok edit across nodes", flush=True)


def presence_across():
    watcher = client(PORT_A, 70)
    assert presence(watcher, [63]) == [], "63 is offline"
    other = client(PORT_B, 63)
    change(watcher, 63, True)
    assert presence(watcher, [63, 64]) == [63]
    other.close()
    change(watcher, 63, False)
    # A watcher on A also sees a user who is on both nodes go offline only with the last one.
    on_a, on_b = client(PORT_A, 63), client(PORT_B, 63)
    change(watcher, 63, True)
    on_a.close()
    quiet(watcher, lambda f: f["t"] == "presence" and f.get("user") == 63, 1.0)
    on_b.close()
    change(watcher, 63, False)
    print("ok presence across nodes", flush=True)


def order_across():
    """Two senders on two nodes send at once; every receiver sees ids in order."""
    sa, sb = client(PORT_A, 64), client(PORT_B, 65)
    ra, rb = client(PORT_A, 66), client(PORT_B, 67)
    for ws in (sa, sb, ra, rb):
        join(ws, 2)
    settle()
    # Warm-up: each node knows the other subscribes, so both sequence the room from now on.
    for sender, cid in ((sa, "wa"), (sb, "wb")):
        ack = send(sender, 2, cid, cid)
        for receiver in (ra, rb):
            until(receiver, lambda f: f["t"] == "msg" and f["id"] == ack["id"], what="warm-up")
    count = 150
    for i in range(count):
        sa.send(json.dumps({"t": "send", "room": 2, "text": f"a{i}", "cid": f"a{i}"}))
        sb.send(json.dumps({"t": "send", "room": 2, "text": f"b{i}", "cid": f"b{i}"}))
        time.sleep(0.004)  # inside the per-user rate (burst 10) of RATE_LIMIT=100000
    seen = {}
    for name, ws, expected in (("ra", ra, 2 * count), ("rb", rb, 2 * count), ("sa", sa, count), ("sb", sb, count)):
        got = []
        deadline = time.time() + 30
        while len(got) < expected and time.time() < deadline:
            try:
                frame = until(ws, lambda f: f["t"] in ("msg", "error"), timeout=max(0.1, deadline - time.time()))
            except AssertionError:
                break
            assert frame["t"] == "msg", frame
            got.append(int(frame["id"]))
        assert len(got) == expected, f"{name}: {len(got)} of {expected}"
        assert got == sorted(got), f"{name}: ids out of order"
        seen[name] = got
    assert seen["ra"] == seen["rb"], "receivers on the two nodes saw different sequences"
    print(f"ok order across nodes ({2 * count} messages from two nodes)", flush=True)


def rate_budget():
    """User 90 on both nodes: the budget (burst 10 at RATE_LIMIT=60) is shared."""
    a, b = client(PORT_A, 90), client(PORT_B, 90)
    for ws in (a, b):
        join(ws, 3)
    settle()
    allowed_a = sum(send(a, 3, "x", f"a{i}")["t"] == "ack" for i in range(10))
    assert allowed_a == 10, f"node A allowed {allowed_a} of the burst"
    time.sleep(1.2)  # more than one report interval (500 ms)
    results = [send(b, 3, "y", f"b{i}") for i in range(10)]
    allowed_b = sum(r["t"] == "ack" for r in results)
    refused = [r for r in results if r["t"] == "error"]
    assert all(r["code"] == "rate_limited" for r in refused), refused
    # One token per second refills the shared bucket: about one more in 1.2 s.
    assert allowed_b <= 3, f"node B allowed {allowed_b} more after A spent the burst"
    print(f"ok one rate budget across nodes (A 10, then B {allowed_b} of 10)", flush=True)


def offline_when_node_dies(pid_b):
    watcher = client(PORT_A, 71)
    assert presence(watcher, [81]) == []
    victim = client(PORT_B, 81)
    change(watcher, 81, True)
    os.kill(pid_b, signal.SIGKILL)
    killed = time.time()
    change(watcher, 81, False, timeout=25)
    took = time.time() - killed
    assert took <= 15, f"offline only after {took:.1f} s"
    print(f"ok offline after node death ({took:.1f} s)", flush=True)
    try:
        victim.close()
    except Exception:
        pass
    again = client(PORT_A, 81)
    change(watcher, 81, True)
    assert presence(watcher, [81]) == [81]
    again.close()
    change(watcher, 81, False)
    print("ok online again after reconnecting", flush=True)


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


def newer_than_the_nodes(valkey_port):
    """Valkey holds a message 20 s in the future (as a node with a clock ahead would have
    stored it): a sequenced send is refused by the store and sent again above it, so every
    member still sees ids in order and the acks carry the new ids."""
    a, b = client(PORT_A, 91), client(PORT_B, 92)
    for ws in (a, b):
        join(ws, 5)
    settle()
    epoch_ms = 1_704_067_200_000
    future_ms = int(time.time() * 1000) + 20_000
    future_id = ((future_ms - epoch_ms) << 22) | (9 << 12)
    payload = bytes([1, 0]) + struct.pack(">I", 999) + struct.pack(">q", future_ms) + b"from the future"
    member = struct.pack(">Q", future_id) + b"\x00" + payload
    with socket.create_connection(("127.0.0.1", valkey_port), timeout=5) as raw:
        raw.sendall(resp("ZADD", "room:{5}:msgs", 0, member))
        reply = raw.recv(64)
        assert reply == b":1\r\n", reply
    acks = []
    for sender, receiver, cid in ((a, b, "fa"), (b, a, "fb")):
        ack = send(sender, 5, f"after, {cid}", cid)
        assert ack["t"] == "ack", ack
        acks.append(ack)
        until(receiver, lambda f: f["t"] == "msg" and f["id"] == ack["id"], what=f"{cid} at the other node")
    ids = [int(x["id"]) for x in acks]
    assert all(i > future_id for i in ids), f"acked ids {ids} not above the stored {future_id}"
    assert ids[0] < ids[1], f"acks {ids} out of send order"
    a.send(json.dumps({"t": "history", "room": 5, "limit": 10}))
    page = until(a, lambda f: f["t"] == "history", what="history")
    got = [int(m["id"]) for m in page["msgs"]]
    assert got == [future_id] + ids, f"history {got}"
    print(f"ok sends above a newer stored id (acked {len(ids)} above it, history in order)", flush=True)


def presence_refreshed_from_valkey(valkey_port):
    """Valkey's sess:{83} changes with no event published (as when the event was lost while
    A's subscriber link reconnected): A's watcher learns it from the periodic re-read
    (PRESENCE_REFRESH_SECONDS=2 on the nodes)."""
    watcher = client(PORT_A, 82)
    victim = client(PORT_B, 83)
    assert presence(watcher, [83]) == [83], "83 online on B"
    with socket.create_connection(("127.0.0.1", valkey_port), timeout=5) as raw:
        raw.sendall(resp("HGETALL", "sess:{83}"))
        time.sleep(0.2)
        fields = raw.recv(4096)
        assert fields.startswith(b"*2\r\n"), fields  # one field: node B's
        raw.sendall(resp("DEL", "sess:{83}"))
        assert raw.recv(64) == b":1\r\n"
        time.sleep(1.2)  # the read must come more than a second after the change it corrects
        changed = time.time()
        change(watcher, 83, False, timeout=10)
        took = time.time() - changed
        print(f"ok presence refreshed from Valkey (offline after {took:.1f} s)", flush=True)
    victim.close()


def local_delivery_while_valkey_stalls(valkey_port):
    """A room on both nodes (so sends are sequenced); Valkey pauses writes for 4 s: a
    message sent on A still reaches A's other member within the echo wait (about 1 s),
    and its ack, which needs the store, comes after the pause, as does B's copy."""
    a1, a2, b = client(PORT_A, 93), client(PORT_A, 94), client(PORT_B, 95)
    for ws in (a1, a2, b):
        join(ws, 6)
    settle()
    warm = send(a1, 6, "warm-up", "w")
    for ws in (a2, b):
        until(ws, lambda f: f["t"] == "msg" and f["id"] == warm["id"], what="warm-up")
    with socket.create_connection(("127.0.0.1", valkey_port), timeout=5) as raw:
        raw.sendall(resp("CLIENT", "PAUSE", 4000, "WRITE"))
        assert raw.recv(64) == b"+OK\r\n"
    paused = time.time()
    a1.send(json.dumps({"t": "send", "room": 6, "text": "during the pause", "cid": "p"}))
    local = until(a2, lambda f: f["t"] == "msg" and f["text"] == "during the pause", timeout=3,
                  what="local delivery during the pause")
    local_after = time.time() - paused
    ack = until(a1, lambda f: f["t"] in ("ack", "error") and f.get("cid") == "p", timeout=15, what="ack after the pause")
    ack_after = time.time() - paused
    assert ack["t"] == "ack" and ack["id"] == local["id"], (ack, local)
    assert ack_after > local_after, f"ack after {ack_after:.2f} s, local delivery after {local_after:.2f} s"
    until(b, lambda f: f["t"] == "msg" and f["id"] == local["id"], timeout=15, what="B's copy after the pause")
    print(f"ok local delivery while Valkey stalls (local after {local_after:.1f} s, ack after {ack_after:.1f} s)",
          flush=True)


if MODE == "basic":
    a, b, a2, ids = rooms_and_dms()
    typing_reads_edits(a, b, ids)
    presence_across()
    order_across()
elif MODE == "rooms":
    rooms_and_dms()
elif MODE == "rate":
    rate_budget()
elif MODE == "refusal":
    newer_than_the_nodes(int(sys.argv[5]))
elif MODE == "refresh":
    presence_refreshed_from_valkey(int(sys.argv[5]))
elif MODE == "stall":
    local_delivery_while_valkey_stalls(int(sys.argv[5]))
elif MODE == "kill":
    offline_when_node_dies(int(sys.argv[5]))
else:
    raise SystemExit(f"unknown mode {MODE}")
