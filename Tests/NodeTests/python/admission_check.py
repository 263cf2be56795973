"""The admission queue at MAX_CONNECTIONS, seen by clients.

The node runs with MAX_CONNECTIONS=2, ADMISSION_QUEUE=1, ADMISSION_WAIT_MS=1500:
- two WebSockets open; a third upgrade waits (no answer yet; chat_admission_waiting 1);
- a fourth is refused at once: 503 with Retry-After and a short JSON body;
- /health is still answered while upgrades wait;
- one of the two closes: the waiting upgrade is opened (101) and works;
- a fifth upgrade waits, nobody leaves, and its wait runs out: 503 with Retry-After.
Usage: admission_check.py PORT JWT_SECRET
"""
import json
import sys
import threading
import time
import urllib.request

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chat_jwt import hs256_token

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()


def token(sub):
    return hs256_token(SECRET, sub)


def url(sub):
    return f"ws://127.0.0.1:{PORT}/ws?token={token(sub)}"


def metric(name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError(f"no {name} in /metrics")


def refused(sub):
    try:
        connect(url(sub), compression=None, open_timeout=10).close()
    except InvalidStatus as error:
        response = error.response
        assert response.status_code == 503, response.status_code
        retry = int(response.headers["Retry-After"])
        assert 1 <= retry <= 60, retry
        body = json.loads(response.body)
        assert body.get("error"), body
        return retry
    raise AssertionError("upgrade was not refused")


def waiting_is(count):
    deadline = time.time() + 5
    while metric("chat_admission_waiting") != count:
        assert time.time() < deadline, ("chat_admission_waiting", metric("chat_admission_waiting"), count)
        time.sleep(0.05)


a = connect(url(71), compression=None)
b = connect(url(72), compression=None)

result = {}


def third():
    try:
        ws = connect(url(73), compression=None, open_timeout=10)
        result["opened_at"] = time.time()
        result["ws"] = ws
    except Exception as error:  # reported below
        result["error"] = repr(error)


thread = threading.Thread(target=third)
thread.start()
waiting_is(1)
assert "ws" not in result and "error" not in result, result
print("ok upgrade waits at the limit", flush=True)

refused(74)
print("ok full queue answers 503 with Retry-After", flush=True)

assert urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=10).status == 200
print("ok http served while upgrades wait", flush=True)

closed_at = time.time()
a.close()
thread.join(10)
assert "ws" in result, result
c = result["ws"]
c.send(json.dumps({"t": "join", "room": 9}))
assert json.loads(c.recv(timeout=10))["t"] in ("joined", "mode")
print("ok waiting upgrade admitted when a connection closed", flush=True)

started = time.time()
refused(75)
assert time.time() - started >= 1.0, "refused before its wait ran out"
print("ok wait runs out with 503", flush=True)
assert metric("chat_admission_refused_total") == 2
assert metric("chat_admission_admitted_total") == 1
b.close()
c.close()
