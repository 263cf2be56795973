"""Independent wss:// client checks against the gateway's echo application with TLS on.

Uses the `websockets` package and Python's `ssl` (not our code), trusting only the test's
self-signed certificate and checking the host name. Prints one line per check and exits
non-zero on the first failure. Usage: wss_client_check.py PORT CERT_PEM

The asyncio client, not the sync one: the sync client reads a connection in a background
thread while the caller writes, so two threads use one TLS session at once, which OpenSSL
does not allow; about one run in fifteen lost the upgrade request that way (written while
the reader thread processed the server's TLS 1.3 session tickets). asyncio's TLS runs on
memory BIOs in one thread.
"""
import asyncio
import os
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), 5)


async def expect_close(ws, code: int) -> None:
    try:
        await recv(ws)
        raise AssertionError("expected close")
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == code, closed


async def main(port: int, certificate: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=certificate)
    url = f"wss://localhost:{port}/ws"

    # Text, binary, ping/pong, clean close with the code echoed; TLS really negotiated.
    async with connect(url, ssl=context, subprotocols=["chat.v1"], compression=None, proxy=None) as ws:
        version = ws.transport.get_extra_info("ssl_object").version()
        assert version in ("TLSv1.2", "TLSv1.3"), version
        assert ws.subprotocol == "chat.v1", ws.subprotocol
        await ws.send("hello")
        assert await recv(ws) == "hello"
        await ws.send(b"\x00\x01\x02")
        assert await recv(ws) == b"\x00\x01\x02"
        pong = await ws.ping(b"abc")
        await asyncio.wait_for(pong, 5)
        await ws.close(code=1000, reason="bye")
        assert ws.close_code == 1000, ws.close_code
    print(f"ok text binary ping close ({version})")

    # permessage-deflate over TLS: a large compressible text, a large incompressible binary
    # (several TLS records each way), then many small ones in a burst.
    async with connect(url, ssl=context, proxy=None) as ws:
        extensions = [type(e).__name__ for e in ws.protocol.extensions]
        assert any("Deflate" in name for name in extensions), extensions
        big = "chat " * 12000
        await ws.send(big)
        assert await recv(ws) == big
        noise = os.urandom(60000)
        await ws.send(noise)
        assert await recv(ws) == noise
        for index in range(50):
            await ws.send(f"m{index}")
        for index in range(50):
            assert await recv(ws) == f"m{index}"
        await ws.send("héllo wörld ✓ 🚀")
        assert await recv(ws) == "héllo wörld ✓ 🚀"
    print("ok deflate large")

    # Broadcast reaches every TLS connection once; a server close arrives with its code.
    async with connect(url, ssl=context, compression=None, proxy=None) as a, \
            connect(url, ssl=context, compression=None, proxy=None) as b:
        await a.send("broadcast:all")
        assert await recv(a) == "all"
        assert await recv(b) == "all"
        await b.send("close:4008")
        await expect_close(b, 4008)
    print("ok broadcast server close")

    # Plain ws:// on the TLS port does not get a WebSocket.
    try:
        async with connect(f"ws://127.0.0.1:{port}/ws", proxy=None, open_timeout=5):
            raise AssertionError("plain ws:// was accepted on the TLS port")
    except AssertionError:
        raise
    except Exception:
        pass
    print("ok plain refused")

    # Without the test certificate as trust anchor the client refuses: the checks above
    # really verified the chain and the host name.
    strict = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    try:
        async with connect(url, ssl=strict, proxy=None, open_timeout=5):
            raise AssertionError("an untrusted certificate was accepted")
    except ssl.SSLCertVerificationError:
        pass
    print("ok untrusted refused")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
