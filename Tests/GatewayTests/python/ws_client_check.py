"""Independent WebSocket client checks against the gateway's echo application.

Uses the `websockets` package (not our code). Prints one line per check and exits
non-zero on the first failure. Usage: ws_client_check.py PORT
"""
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def main(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/ws"

    # Plain text echo, subprotocol selection, ping/pong, clean close with the code echoed.
    with connect(url, subprotocols=["chat.v1"], compression=None) as ws:
        assert ws.subprotocol == "chat.v1", ws.subprotocol
        ws.send("hello")
        assert ws.recv(timeout=5) == "hello"
        ws.send(b"\x00\x01\x02")
        assert ws.recv(timeout=5) == b"\x00\x01\x02"
        pong = ws.ping(b"abc")
        assert pong.wait(timeout=5), "no pong"
        ws.close(code=1000, reason="bye")
        assert ws.close_code == 1000, ws.close_code
    print("ok plain")

    # permessage-deflate negotiated (the client offers it by default); large and small messages.
    with connect(url) as ws:
        extensions = [type(e).__name__ for e in ws.protocol.extensions]
        assert any("Deflate" in name for name in extensions), extensions
        big = "chat " * 2000
        ws.send(big)
        assert ws.recv(timeout=5) == big
        ws.send("x")
        assert ws.recv(timeout=5) == "x"
        # Unicode crosses frames intact.
        ws.send("héllo wörld ✓ 🚀")
        assert ws.recv(timeout=5) == "héllo wörld ✓ 🚀"
    print("ok deflate")

    # Fragmented message from the client is reassembled.
    with connect(url, compression=None) as ws:
        ws.send(iter(["frag", "ment", "ed"]))
        assert ws.recv(timeout=5) == "fragmented"
    print("ok fragments")

    # Broadcast reaches every connection once.
    with connect(url, compression=None) as a, connect(url, compression=None) as b:
        a.send("broadcast:all")
        assert a.recv(timeout=5) == "all"
        assert b.recv(timeout=5) == "all"
    print("ok broadcast")

    # A server-initiated close reaches the client with its code.
    with connect(url, compression=None) as ws:
        ws.send("close:4008")
        try:
            ws.recv(timeout=5)
            raise AssertionError("expected close")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4008, closed
    print("ok server close")

    # A message over the limit closes with 1009.
    with connect(url, compression=None, max_size=None) as ws:
        ws.send("y" * (70 * 1024))
        try:
            ws.recv(timeout=5)
            raise AssertionError("expected close")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1009, closed
    print("ok too big")

    # Refused before the upgrade.
    try:
        with connect(url + "?token=bad"):
            raise AssertionError("expected refusal")
    except Exception as error:  # InvalidStatus
        assert "401" in str(error), error
    print("ok refused 401")


if __name__ == "__main__":
    main(int(sys.argv[1]))
