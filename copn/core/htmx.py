"""The one place that decides whether a request wants a fragment.

Pages and their fragments share one context builder; a URL that can answer with
either sends ``Vary: HX-Request`` so caches keep them apart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, make_response, render_template, request
from htmx_flask import Htmx

_htmx = Htmx()


def init_app(app: Flask) -> None:
    """Install htmx-flask's request class (``request.htmx``)."""
    _htmx.init_app(app)


def wants_fragment() -> bool:
    """True for an htmx request, except a history restore, which needs the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def prompt() -> str | None:
    """The answer to ``hx-prompt``, decoded if htmx had to percent-encode it.

    htmx 2 sends a value that is not Latin-1 percent-encoded and says so in
    ``HX-Prompt-URI-AutoEncoded``; any other value is taken as typed, "%" included.
    """
    raw = request.headers.get("HX-Prompt")
    if raw is None:
        return None
    if request.headers.get("HX-Prompt-URI-AutoEncoded", "").lower() == "true":
        return unquote(raw)
    return raw


def render(page: str, fragment: str, status: int = 200, **context: Any) -> Response:
    """Render ``fragment`` for htmx and ``page`` otherwise, with ``Vary: HX-Request``.

    The page template includes the fragment, so both share ``context``; the
    fragment can tell whether it stands alone from ``fragment_only``.
    """
    alone = wants_fragment()
    template = fragment if alone else page
    body = render_template(template, fragment_only=alone, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
