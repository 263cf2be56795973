"""HS256 tokens for the Python test clients: written from RFC 7519, independent of the
node's own JWT code, so that the node's check is tested against another implementation."""

import base64
import hashlib
import hmac
import json
import time


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(secret: bytes, sub, ttl: int = 600) -> str:
    """A token for user `sub` that expires `ttl` seconds from now."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": str(sub), "exp": int(time.time()) + ttl}).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"
