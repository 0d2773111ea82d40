"""Configuration defaults.

Values are read in three layers: these defaults, then ``instance/config.py``, then
environment variables named ``COPN_<KEY>``. Secrets have no default here: outside
development and testing the application refuses to start without ``SECRET_KEY``.
"""

from __future__ import annotations

import json
import os
from typing import Any

# development, production or testing
ENV = "development"

# No default: the setup command writes a random one to instance/config.py.
SECRET_KEY: str | None = None

# Database. Empty means SQLite at instance/copn.sqlite3.
DATABASE_URL = ""
SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

# Redis, for RQ queues and rate limits.
REDIS_URL = "redis://127.0.0.1:6379/0"
RQ_QUEUES = ["mail", "default", "bulk"]
RQ_FAILURE_TTL = 7 * 24 * 3600
RQ_RESULT_TTL = 3600

# Mail. "file" writes each message to instance/mail/; "smtp" sends it.
MAIL_BACKEND = "file"
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 25
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_TIMEOUT = 10
MAIL_DEFAULT_SENDER = "COPN <no-reply@copn.example>"
MAIL_BATCH_SIZE = 100
# How long a claimed message may stay unsent before the relay hands it out again.
OUTBOX_CLAIM_TIMEOUT = 600
OUTBOX_MAX_ATTEMPTS = 12
# The relay hands out again a pending message enqueued longer ago than this.
OUTBOX_RELAY_GRACE = 120
# How often the relay looks for pending messages (seconds).
OUTBOX_RELAY_INTERVAL = 10

# Language and time.
BABEL_DEFAULT_LOCALE = "vi"
BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
LANGUAGES = ["vi", "en"]

# Sessions and cookies.
SESSION_COOKIE_NAME = "copn_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = True
PERMANENT_SESSION_LIFETIME = 8 * 3600

# CSRF tokens live as long as the session, so a page left open keeps working;
# an ended session is answered with a clear message (see copn.core.errors).
WTF_CSRF_TIME_LIMIT = None

# Rate limits (Flask-Limiter) are kept in Redis.
RATELIMIT_STORAGE_URI = ""
RATELIMIT_HEADERS_ENABLED = True
# While Redis is down, count in this process's memory instead of failing requests.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
# Sign-in attempts per address (Flask-Limiter notation).
SIGN_IN_RATE_LIMIT = "10 per minute"

# Number of reverse proxies in front of the app whose X-Forwarded-* are trusted.
TRUSTED_PROXIES = 0

# Request bodies larger than this are refused with 413.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# Public base URL used in mail links when no request is active.
BASE_URL = "http://127.0.0.1:5000"

LOG_LEVEL = "INFO"

_ENV_PREFIX = "COPN_"


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read ``COPN_*`` variables, converting them to the type of their default.

    Values of keys that have a list, dict, bool or int default are parsed; a value that
    cannot be parsed raises ``ValueError`` naming the variable and what it expects.
    """
    environ = os.environ if environ is None else environ
    defaults = {k: v for k, v in globals().items() if k.isupper()}
    values: dict[str, Any] = {}

    for name, raw in environ.items():
        if not name.startswith(_ENV_PREFIX):
            continue
        key = name[len(_ENV_PREFIX) :]
        default = defaults.get(key)
        try:
            values[key] = _convert(raw, default)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None

    return values


def _convert(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected a boolean (true or false), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
    if isinstance(default, list | dict):
        return _convert_collection(raw, type(default))
    return raw


def _convert_collection(raw: str, kind: type) -> Any:
    """A JSON list or object, or for a list also comma-separated values."""
    text = raw.strip()
    wanted = "a JSON object" if kind is dict else "a JSON list or values split by ','"
    if text.startswith(("[", "{")):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"expected {wanted}, got {raw!r}") from None
    elif kind is list:
        value = [part.strip() for part in text.split(",") if part.strip()]
    else:
        value = None
    if not isinstance(value, kind):
        raise ValueError(f"expected {wanted}, got {raw!r}")
    return value
