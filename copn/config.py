"""Configuration defaults.

Values are read in three layers: these defaults, then ``instance/config.py``, then
environment variables named ``COPN_<KEY>``. Secrets have no default here: outside
development and testing the application refuses to start without ``SECRET_KEY``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
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
# Sessions are kept in the database (copn.core.sessions): at most this long in all,
PERMANENT_SESSION_LIFETIME = 12 * 3600
# and ended after this many seconds without a request (staff roles: the shorter one).
SESSION_IDLE_TIMEOUT = 4 * 3600
SESSION_IDLE_TIMEOUT_STAFF = 30 * 60

# CSRF tokens live as long as the session, so a page left open keeps working;
# an ended session is answered with a clear message (see copn.core.errors).
WTF_CSRF_TIME_LIMIT = None

# Rate limits (Flask-Limiter) are kept in Redis.
RATELIMIT_STORAGE_URI = ""
RATELIMIT_HEADERS_ENABLED = True
# While Redis is down, count in this process's memory instead of failing requests.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
# Sign-in attempts per account and address together, and per address alone
# (Flask-Limiter notation).
SIGN_IN_RATE_LIMIT = "5 per minute;20 per hour"
SIGN_IN_ADDRESS_RATE_LIMIT = "60 per minute"

# Accounts (Flask-Security). Links in mail expire; a reset link works once.
SECURITY_URL_PREFIX = "/auth"
SECURITY_LOGIN_URL = "/sign-in"
SECURITY_LOGOUT_URL = "/sign-out"
SECURITY_REGISTER_URL = "/sign-up"
SECURITY_RESET_URL = "/reset-password"
SECURITY_CHANGE_URL = "/change-password"
SECURITY_CONFIRM_URL = "/confirm"
SECURITY_TWO_FACTOR_SETUP_URL = "/two-factor"
SECURITY_TWO_FACTOR_TOKEN_VALIDATION_URL = "/two-factor/verify"
SECURITY_TWO_FACTOR_RESCUE_URL = "/two-factor/rescue"
SECURITY_TWO_FACTOR_SELECT_URL = "/two-factor/select"
SECURITY_MULTI_FACTOR_RECOVERY_CODES_URL = "/recovery-codes"
SECURITY_MULTI_FACTOR_RECOVERY_URL = "/recovery"
SECURITY_REGISTERABLE = True
SECURITY_CONFIRMABLE = True
SECURITY_RECOVERABLE = True
SECURITY_CHANGEABLE = True
SECURITY_TRACKABLE = True
SECURITY_TWO_FACTOR = True
SECURITY_TWO_FACTOR_ENABLED_METHODS = ["authenticator"]
SECURITY_TWO_FACTOR_ALWAYS_VALIDATE = True
SECURITY_TWO_FACTOR_RESCUE_EMAIL = False
SECURITY_MULTI_FACTOR_RECOVERY_CODES = True
SECURITY_MULTI_FACTOR_RECOVERY_CODES_N = 8
SECURITY_TOTP_ISSUER = "COPN"
# {1: "a long random string"}; required outside development and testing.
SECURITY_TOTP_SECRETS: dict[str, str] = {}
SECURITY_PASSWORD_HASH = "argon2"
SECURITY_PASSWORD_SINGLE_HASH = True
SECURITY_PASSWORD_LENGTH_MIN = 12
SECURITY_PASSWORD_NORMALIZE_FORM = "NFC"
SECURITY_INPUT_NORMALIZE_FORM = "NFC"
SECURITY_PASSWORD_CONFIRM_REQUIRED = True
SECURITY_RETURN_GENERIC_RESPONSES = True
SECURITY_LOGOUT_METHODS = ["POST"]
SECURITY_CONFIRM_EMAIL_WITHIN = timedelta(days=2)
SECURITY_RESET_PASSWORD_WITHIN = timedelta(hours=2)
SECURITY_POST_LOGIN_VIEW = "/"
SECURITY_POST_LOGOUT_VIEW = "/"
SECURITY_EMAIL_PLAINTEXT = False
SECURITY_EMAIL_HTML = False
SECURITY_FLASH_MESSAGES = True
SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}
SECURITY_USE_REGISTER_V2 = True

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
