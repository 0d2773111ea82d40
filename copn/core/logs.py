"""Logging: configured once, every record carrying the request id and user id."""

from __future__ import annotations

import logging
import logging.config
import re
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, has_request_context, request

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def add_context(record: logging.LogRecord) -> None:
    """Set ``request_id`` and ``user_id`` on ``record`` ("-" outside a request)."""
    record.request_id = "-"
    record.user_id = "-"
    if has_request_context():
        record.request_id = g.get("request_id", "-")
        record.user_id = _current_user_id()
    else:
        job_id = _current_job_id()
        if job_id:
            record.request_id = f"job:{job_id}"


# True while a record's user id is looked up: loading the user may itself log, and
# that record must not start loading the user again.
_loading_user: ContextVar[bool] = ContextVar("copn_loading_user", default=False)


def _current_user_id() -> str:
    from flask_login import current_user

    if _loading_user.get():
        return "?"
    token = _loading_user.set(True)
    try:
        if current_user and current_user.is_authenticated:
            # The database id, never get_id(): that is the session identity.
            return str(current_user.id)
    except Exception:  # noqa: BLE001 - logging must never fail a request
        return "?"
    finally:
        _loading_user.reset(token)
    return "-"


def _current_job_id() -> str | None:
    from rq import get_current_job

    try:
        job = get_current_job()
    except Exception:  # noqa: BLE001 - outside a worker there is no job
        return None
    return job.id if job else None


_configured = False


def configure(app: Flask) -> None:
    """Configure logging once per process with dictConfig; tag each app's requests."""
    global _configured
    if not _configured:
        _configure_logging(app.config["LOG_LEVEL"])
        _install_record_factory()
        _configured = True

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):  # type: ignore[no-untyped-def]
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def _install_record_factory() -> None:
    """Put the ids on each record as it is made.

    Not in one handler's filter: every handler (a file, an error tracker, a test's)
    then sees them, not only the console.
    """
    base = logging.getLogRecordFactory()

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        add_context(record)
        return record

    logging.setLogRecordFactory(make_record)


def _configure_logging(level: str) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {
                    "format": "%(asctime)s %(levelname)s %(name)s "
                    "[req=%(request_id)s user=%(user_id)s] %(message)s"
                }
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                }
            },
            "root": {"level": level, "handlers": ["console"]},
            "loggers": {
                "copn": {"level": level},
                "alembic": {"level": "WARNING"},
            },
        }
    )
