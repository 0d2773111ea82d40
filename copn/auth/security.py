"""Flask-Security, fitted to COPN.

Flask-Security does the account flows (sign-in, sign-up with email confirmation,
password reset and change, TOTP two-factor with recovery codes). COPN adds:

- mail through the outbox, rendered from COPN's templates in the recipient's language;
- a password check against common and guessable passwords (zxcvbn, with Vietnamese
  words added), after Flask-Security's length check;
- TOTP codes that cannot be used twice (the last accepted time step is stored);
- the sign-up form's name and privacy-notice consent, recorded with its version;
- server-side sessions that end at sign-out, password change and suspension;
- audit records for sign-ins, failed sign-ins, sign-outs and account changes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from typing import Any

from flask import (
    Flask,
    Response,
    after_this_request,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_out
from flask_security import (
    LoginForm,
    MailUtil,
    PasswordUtil,
    RegisterFormV2,
    Security,
    SQLAlchemyUserDatastore,
    Totp,
    signals,
)
from flask_security.utils import get_message, validate_redirect_url
from limits import parse_many
from wtforms import BooleanField, Field
from wtforms.validators import DataRequired
from zxcvbn import zxcvbn

from copn import ROOT
from copn.auth.forms import full_name_field
from copn.auth.models import PASSWORD_MAX_LENGTH, Consent, Role, User
from copn.core import audit, sessions
from copn.core.clock import utcnow
from copn.core.errors import render_error
from copn.core.text import fold, nfc
from copn.extensions import db, limiter
from copn.notify.services import queue_email

logger = logging.getLogger(__name__)

# The version of the privacy notice people accept when they sign up.
PRIVACY_NOTICE_VERSION = "2026-12"

# Vietnamese words people build weak passwords from; zxcvbn knows English ones.
VIETNAMESE_WEAK_WORDS = [
    "matkhau",
    "mat khau",
    "anhyeuem",
    "emyeuanh",
    "yeuem",
    "yeuanh",
    "vietnam",
    "hanoi",
    "saigon",
    "hochiminh",
    "danang",
    "baove",
    "treem",
    "copn",
    "mang luoi",
    "xinchao",
    "tinhnguyen",
    "tinh nguyen vien",
    "conmeo",
    "concho",
    "iloveyou",
]
# zxcvbn scores 0-4; below this a password is too easy to guess.
MIN_PASSWORD_SCORE = 2


class OutboxMailUtil(MailUtil):
    """Queues Flask-Security's mail in the outbox instead of sending it now."""

    LINKS = ("confirmation_link", "reset_link", "recovery_link", "login_link")

    def normalize(self, email: str) -> str:
        """Addresses are compared in lower case, without surrounding spaces."""
        return super().normalize(nfc(email).strip()).lower()

    def validate(self, email: str) -> str:
        """A new address: valid, in lower case, and plain ASCII.

        Addresses with full-width or other non-ASCII characters are refused: they
        look like another address and not every mail server accepts them.
        """
        address = super().validate(nfc(email).strip()).lower()
        if not address.isascii():
            raise ValueError("not an ASCII address")
        return address

    def send_mail(  # type: ignore[override]
        self,
        template: str,
        subject: str,
        recipient: str | tuple[str, str],
        sender: str | tuple[str, str],
        body: str | None,
        html: str | None,
        **kwargs: Any,
    ) -> None:
        user = kwargs.get("user")
        context: dict[str, Any] = {
            key: str(kwargs[key]) for key in self.LINKS if kwargs.get(key)
        }
        context["name"] = getattr(user, "name", "") or ""
        context["base_url"] = current_app.config["BASE_URL"]
        context["forgot_password_link"] = url_for(
            "security.forgot_password", _external=True
        )
        address = recipient if isinstance(recipient, str) else recipient[1]
        locale = getattr(user, "locale", None) or str(get_locale())
        name = template.rsplit("/", 1)[-1]  # "security/email/welcome" -> "welcome"
        queue_email(address, f"security/{name}", context, locale=locale)
        if has_request_context():
            # NOTE: some of Flask-Security's views send mail without committing (a
            # reset link, a sign-up with a known address); the outbox row must not
            # be rolled back with the rest of the request.
            after_this_request(_commit)


def _commit(response: Response) -> Response:
    db.session.commit()
    return response


def _personal_words(*values: str | None) -> list[str]:
    """What a password must not be made of: the person's address and name.

    Each whole, without accents, in parts and with its parts run together, so
    "lan.nguyen@example.org" and "Trần Lan" give "lannguyen" and "tranlan" too.
    """
    words: list[str] = []
    for value in values:
        if not value:
            continue
        folded = fold(str(value))
        for piece in folded.split("@"):
            parts = [part for part in re.split(r"[\W_]+", piece) if part]
            words += [piece, "".join(parts), *parts]
        words += [str(value).lower(), folded]
    return list(dict.fromkeys(word for word in words if word))


class CopnPasswordUtil(PasswordUtil):
    """Length (Flask-Security), then guessability (zxcvbn) with Vietnamese words."""

    def validate(
        self, password: str, is_register: bool, **kwargs: Any
    ) -> tuple[list | None, str]:
        if len(password) > PASSWORD_MAX_LENGTH:
            # Longer ones are not hashed at all (passlib refuses them with an error).
            limit = PASSWORD_MAX_LENGTH
            return [_("Please use at most %(max)d characters.", max=limit)], password
        problems, normalised = super().validate(password, is_register, **kwargs)
        if problems:
            return problems, normalised

        user = kwargs.get("user")
        hints = VIETNAMESE_WEAK_WORDS + _personal_words(
            kwargs.get("email"),
            kwargs.get("name"),
            getattr(user, "email", None),
            getattr(user, "name", None),
        )
        if zxcvbn(normalised, user_inputs=hints[:100])["score"] < MIN_PASSWORD_SCORE:
            return [
                str(
                    _l(
                        "This password is too easy to guess. Use a longer phrase of "
                        "several words, for example a sentence only you would write."
                    )
                )
            ], normalised
        return None, normalised


class ReplayProtectedTotp(Totp):
    """TOTP whose codes are accepted once: the last time step used is stored."""

    def get_last_counter(self, user: User) -> int | None:  # type: ignore[override]
        return user.tf_totp_last_counter

    def set_last_counter(self, user: User, tmatch: Any) -> None:  # type: ignore[override]
        user.tf_totp_last_counter = tmatch.counter
        db.session.add(user)
        db.session.flush()


class CopnRegisterForm(RegisterFormV2):
    """Sign-up: Flask-Security's fields, a name, and consent to the privacy notice."""

    name = full_name_field()
    privacy_consent = BooleanField(
        _l("I have read and accept the privacy notice."),
        validators=[
            DataRequired(
                message=_l(
                    "You need to accept the privacy notice to create an account."
                )
            )
        ],
    )


class CopnLoginForm(LoginForm):
    """Sign-in without "remember me": sessions end when they end (idle or sign-out)."""

    remember = BooleanField(filters=[lambda _: False])

    def validate_next(self, field: Field) -> None:
        """An off-site ``next`` is dropped; Flask-Security would refuse the sign-in."""
        if field.data and not validate_redirect_url(field.data):
            field.data = ""

    def validate(self, **kwargs: Any) -> bool:
        if len(self.password.data or "") > PASSWORD_MAX_LENGTH:
            # Not hashed: passlib refuses it with an error. No password is this long.
            self.password.errors = [get_message("INVALID_PASSWORD")[0]]
            _sign_in_failed(current_app._get_current_object())
            return False
        valid = super().validate(**kwargs)
        if not valid and self.user is None and self.email.data:
            # Flask-Security signals failures of known accounts only.
            _sign_in_failed(current_app._get_current_object())
        return valid


# NOTE: not in copn.extensions like the others: Flask-Security takes these classes
# only at construction, and they are defined here.
security = Security(
    mail_util_cls=OutboxMailUtil,
    password_util_cls=CopnPasswordUtil,
    totp_cls=ReplayProtectedTotp,
)


def init_app(app: Flask) -> None:
    """Set up Flask-Security with COPN's datastore, mail, passwords, TOTP and forms."""
    secrets = app.config.get("SECURITY_TOTP_SECRETS")
    if not secrets:
        if app.config["ENV"] == "production":
            from copn import ConfigError

            raise ConfigError(
                "SECURITY_TOTP_SECRETS is missing: set COPN_SECURITY_TOTP_SECRETS to "
                'a JSON object such as {"1": "<a long random string>"}.'
            )
        # Development and tests: derived from the secret key, which is required.
        app.config["SECURITY_TOTP_SECRETS"] = {"1": app.config["SECRET_KEY"]}
    app.config.setdefault("SECURITY_EMAIL_SENDER", app.config["MAIL_DEFAULT_SENDER"])
    app.config["SECURITY_I18N_DIRNAME"] = [
        "builtin",
        str(ROOT / "copn" / "translations"),
    ]

    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(
        app,
        datastore,
        register_form=CopnRegisterForm,
        login_form=CopnLoginForm,
    )
    sessions.init_app(app)
    _connect_signals(app)
    app.before_request(_limit_sign_in_attempts)
    app.before_request(_require_two_factor_for_staff)


def _connect_signals(app: Flask) -> None:
    signals.user_authenticated.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    signals.user_failed_authn.connect(_sign_in_failed, app)
    signals.user_registered.connect(_registered, app)
    signals.user_confirmed.connect(_confirmed, app)
    signals.password_changed.connect(_password_changed, app)
    signals.password_reset.connect(_password_changed, app)
    signals.tf_profile_changed.connect(_two_factor_changed, app)
    signals.tf_disabled.connect(_two_factor_changed, app)


def _signed_in(sender: Flask, user: User, authn_via: list[str], **_: Any) -> None:
    sessions.regenerate()
    audit.record("auth.signed_in", "user", user.id, actor_id=user.id, via=authn_via)
    logger.info("User %r signed in", user.id)


def _signed_out(sender: Flask, user: Any = None, **_: Any) -> None:
    """Sign-out ends the server-side session: a copy of its cookie opens nothing."""
    if user is None or not user.is_authenticated:
        return  # Flask-Security also signs out nobody, e.g. on confirming an address
    sessions.end_current()
    audit.record("auth.signed_out", "user", user.id, actor_id=user.id)
    db.session.commit()
    logger.info("User %r signed out", user.id)


def _sign_in_failed(
    sender: Flask, user: User | None = None, auth_type: str = "password", **_: Any
) -> None:
    # The address typed is not recorded: it may be someone else's or a password.
    audit.record(
        "auth.sign_in_failed", "user", getattr(user, "id", None), via=auth_type
    )
    db.session.commit()
    logger.warning("Failed sign-in attempt")


def _registered(sender: Flask, user: User, form_data: dict | None = None, **_: Any):
    db.session.flush()  # the new user's id
    db.session.add(
        Consent(
            user_id=user.id,
            purpose="privacy_notice",
            version=PRIVACY_NOTICE_VERSION,
            given_at=utcnow(),
        )
    )
    if user.locale is None:
        user.locale = str(get_locale())
    audit.record("auth.registered", "user", user.id, actor_id=user.id)
    logger.info("User %r signed up", user.id)


def _confirmed(sender: Flask, user: User, **_: Any) -> None:
    audit.record("auth.email_confirmed", "user", user.id, actor_id=user.id)


def _password_changed(sender: Flask, user: User, **_: Any) -> None:
    """A new password ends every other session of the account."""
    ended = sessions.end_sessions(user.id, keep_sid=sessions.current_sid())
    audit.record("auth.password_changed", "user", user.id, actor_id=user.id)
    logger.info(
        "Password of user %r changed; %d other session(s) ended", user.id, ended
    )


def _two_factor_changed(sender: Flask, user: User, **kwargs: Any) -> None:
    method = kwargs.get("method") or getattr(user, "tf_primary_method", None)
    audit.record(
        "auth.two_factor_changed", "user", user.id, actor_id=user.id, method=method
    )


# What a staff member without two-factor may still open: setting it up, and leaving.
TWO_FACTOR_SETUP_ENDPOINTS = {
    "security.two_factor_setup",
    "security.two_factor_setup_validate",
    "security.two_factor_token_validation",
    "security.mf_recovery_codes",
    "security.logout",
    "core.set_language",
    "core.healthz",
    "static",
}


def _require_two_factor_for_staff() -> Response | None:
    """Staff roles must set up two-factor before they can use anything else."""
    if request.endpoint in TWO_FACTOR_SETUP_ENDPOINTS or request.endpoint is None:
        return None
    user = current_user
    if not user.is_authenticated or user.tf_primary_method or not user.is_staff:
        return None
    flash(
        _(
            "Your role handles sensitive data: set up two-factor authentication "
            "before you continue."
        ),
        "info",
    )
    return redirect(url_for("security.two_factor_setup"))


def _limit_sign_in_attempts() -> Response | None:
    """Refuse a sign-in attempt over the limits, per account and address together.

    One person mistyping in an office behind a single address does not lock out the
    others; a looser limit per address slows guessing across many accounts. The
    address is the proxy-corrected one (``TRUSTED_PROXIES``), so a forged
    X-Forwarded-For changes nothing. With Redis down, the attempt is let through and
    a warning logged: nobody is locked out by an outage.
    """
    if request.method != "POST" or request.endpoint != "security.login":
        return None
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None

    address = request.remote_addr or "-"
    account = hashlib.sha256(
        nfc(request.form.get("email", "")).strip().lower()[:254].encode()
    ).hexdigest()
    config = current_app.config
    checks = [
        (item, ("sign-in", address, account))
        for item in parse_many(config["SIGN_IN_RATE_LIMIT"])
    ] + [
        (item, ("sign-in", address))
        for item in parse_many(config["SIGN_IN_ADDRESS_RATE_LIMIT"])
    ]
    hit, stats = limiter.limiter.hit, limiter.limiter.get_window_stats
    try:
        # Every limit is counted, even once one of them refuses.
        refused = [(item, keys) for item, keys in checks if not hit(item, *keys)]
        wait = max(
            (stats(item, *keys).reset_time - time.time() for item, keys in refused),
            default=0,
        )
    except Exception:  # noqa: BLE001 - any storage failure must not lock people out
        logger.warning("Sign-in rate limit unavailable; attempt let through")
        return None
    if not refused:
        return None

    audit.record("auth.sign_in_limited", "user", None)
    db.session.commit()
    logger.warning("Sign-in attempts over the limit from one address")
    response = render_error(429)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
