"""Waiting for JSON frames on a synchronous websockets connection, keeping the others."""

import json
import time

_KEPT = {}


def until(ws, pred, timeout=15):
    """The first frame (already received or arriving within `timeout` s) that matches
    `pred`; frames that do not match are kept for later calls on the same connection."""
    kept = _KEPT.setdefault(id(ws), [])
    for index, frame in enumerate(kept):
        if pred(frame):
            return kept.pop(index)
    deadline = time.time() + timeout
    while time.time() < deadline:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.time())))
        if pred(frame):
            return frame
        kept.append(frame)
    raise AssertionError("timed out")
