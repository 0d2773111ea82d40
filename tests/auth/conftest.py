"""Helpers for the account tests: separate browsers, mail links, audit rows.

The ``app`` fixture keeps one app context pushed, which its clients share (and with
it Flask's ``g``, where Flask-Login keeps the signed-in user). Tests that need
browsers with their own sessions use clients of ``site``, a second app on the same
database, whose requests each get their own context as in production.
"""

from __future__ import annotations

import re
import time
from email.message import Message

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.helpers import audit_events, fresh, mail_text, page_text  # noqa: F401

PASSWORD = "con mèo nhỏ ăn cá ba lần mỗi ngày"
SIGN_IN_LINK = '<a href="/auth/sign-in">Đăng nhập</a>'
SIGN_OUT_BUTTON = '<button type="submit" class="link-button">Đăng xuất</button>'


def signed_in(browser: FlaskClient) -> bool:
    """True when the home page offers this browser "Sign out" (and not "Sign in")."""
    body = browser.get("/").get_data(as_text=True)
    assert (SIGN_OUT_BUTTON in body) != (SIGN_IN_LINK in body)
    return SIGN_OUT_BUTTON in body


def mailed_path(message: Message, prefix: str) -> str:
    """The path of the link starting with ``prefix`` in ``message`` (host dropped)."""
    found = re.search(
        r"http://copn\.test(" + re.escape(prefix) + r"\S+)", mail_text(message)
    )
    assert found, mail_text(message)
    return found.group(1)


def aged(token: str, serializer: URLSafeTimedSerializer, seconds: int) -> str:
    """The same token as if it had been issued ``seconds`` ago."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    past = URLSafeTimedSerializer(
        serializer.secret_keys[-1],
        salt=serializer.salt,
        signer=PastSigner,
        signer_kwargs=serializer.signer_kwargs,
    )
    return past.dumps(serializer.loads(token))


def authenticator_code(app: Flask, secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app set up with ``secret`` shows (now, or later)."""
    from passlib.totp import TOTP

    otp = TOTP.using(secrets=app.config["SECURITY_TOTP_SECRETS"]).from_source(secret)
    return otp.generate(time=time.time() + steps_ahead * otp.period).token
