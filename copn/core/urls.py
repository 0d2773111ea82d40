"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next_url(default: str) -> str:
    """The ``next`` parameter if it is a path inside COPN, else ``default``.

    Refused: another host ("//host", a scheme), a backslash (browsers read it as
    "/"), and control characters (browsers drop tabs and newlines, and a newline
    cannot go in the Location header).
    """
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    if urlsplit(target).netloc:
        return default
    return target
