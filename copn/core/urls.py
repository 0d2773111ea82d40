"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next_url(default: str) -> str:
    """The ``next`` parameter if it points inside COPN, else ``default``."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.netloc:
        return default
    if "\\" in target:
        return default
    return target
