"""Translated error pages, and fragments for htmx requests.

htmx swaps only 2xx and 422 answers (see the htmx-config meta tag); for other errors
it keeps the page as it is and static/js/copn.js shows the fragment's message in the
page's message area, so nothing the user typed is lost.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException, InternalServerError

from copn.core.htmx import wants_fragment

logger = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Bad request"),
        _l(
            "The request could not be understood. "
            "Please check what you entered and try again."
        ),
    ),
    401: (
        _l("Please sign in"),
        _l("Please sign in to continue."),
    ),
    403: (
        _l("Not allowed"),
        _l(
            "You do not have permission to open this page. "
            "If you think you should, ask a coordinator."
        ),
    ),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("Too large"),
        _l("What you sent is too large. Please send something smaller."),
    ),
    422: (
        _l("Please check the form"),
        _l("Some of what you entered needs correcting."),
    ),
    429: (
        _l("Too many attempts"),
        _l(
            "You have tried too many times in a short while. "
            "Please wait a minute and try again."
        ),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "An unexpected error happened on our side. "
            "It has been logged; please try again later."
        ),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("COPN is temporarily unavailable. Please try again in a few minutes."),
    ),
}

CSRF_MESSAGE = _l(
    "Your form had expired, for example because your session ended. We have "
    "renewed it: please submit again. What you typed is still there."
)


def render_error(code: int, message: str | None = None) -> Response:
    """Render the error page (or its fragment for htmx) with status ``code``."""
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    body = render_template(
        template, code=code, title=title, message=message or default_message
    )
    response = make_response(body, code)
    response.vary.add("HX-Request")
    return response


def mark_invalid() -> str:
    """Called by form templates when they show errors: the answer becomes a 422.

    Forms of Flask-Security re-render with status 200; this makes every submitted
    form that comes back with errors answer 422, which htmx is configured to swap.
    """
    g.form_invalid = True
    return ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals["mark_invalid"] = mark_invalid

    @app.after_request
    def invalid_form_is_unprocessable(response: Response) -> Response:
        if (
            g.get("form_invalid")
            and response.status_code == 200
            and request.method in {"POST", "PUT", "PATCH", "DELETE"}
        ):
            response.status_code = 422
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        logger.warning("CSRF check failed: %s", error.description)
        response = render_error(400, str(CSRF_MESSAGE))
        # A fresh token lets copn.js renew the page's forms without a reload.
        response.headers["X-CSRF-Token"] = generate_csrf()
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = error.code or 500
        if code not in MESSAGES:
            return error.get_response()
        response = render_error(code)
        if code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Response:
        # Flask has logged the original exception before calling this handler.
        return render_error(500)
