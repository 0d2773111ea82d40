"""Building and sending email: rendering in the recipient's language, SMTP or files.

Each mail template (``templates/email/<name>.html``) extends ``email/_layout.html``
and defines the blocks ``subject``, ``text`` and ``body``.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale

# Errors of the connection itself, after which trying again later may succeed.
# NOTE: smtplib.SMTPException is an OSError, so this catches every SMTP error: the
# more specific ones must be handled before it.
TRANSIENT_ERRORS = (OSError,)

# An answer that closes the session: the server is busy or shutting down.
SERVICE_UNAVAILABLE = 421


class PermanentMailError(Exception):
    """The server refused this message for good (a 5xx answer)."""


class TransientMailError(Exception):
    """This message could not be sent now (a 4xx answer); trying later may work."""


class ServerUnavailableError(TransientMailError):
    """The server cannot be reached or dropped the session: nothing more can be sent."""


def render_email(
    template: str, context: dict[str, Any], locale: str
) -> tuple[str, str, str]:
    """Return (subject, text, html) of ``template`` rendered in ``locale``."""
    name = f"email/{template}.html"
    with force_locale(locale):
        parts = {
            part: render_template(name, **context, part=part, locale=locale).strip()
            for part in ("subject", "text", "html")
        }
    subject = " ".join(parts["subject"].split())
    return subject, parts["text"] + "\n", parts["html"]


def build_message(
    message_id: int,
    created_at: datetime,
    recipient: str,
    template: str,
    context: dict[str, Any],
    locale: str,
) -> EmailMessage:
    """An EmailMessage whose Message-ID derives from the outbox row.

    A message sent again after a crash keeps its Message-ID, so mail clients that
    deduplicate by it show it once.
    """
    subject, text, html = render_email(template, context, locale)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "copn.example"

    email = EmailMessage()
    email["From"] = sender
    email["To"] = recipient
    email["Subject"] = subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = f"<outbox-{message_id}.{created_at:%Y%m%d%H%M%S}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    # After the parts: making the message multipart moves Content-* headers into
    # its first part.
    email["Content-Language"] = locale
    return email


class Connection(Protocol):
    def send(self, email: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SMTPConnection:
    """One SMTP session reused for a batch of messages."""

    def __init__(self) -> None:
        config = current_app.config
        cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        try:
            self._smtp = cls(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=config["MAIL_TIMEOUT"],
            )
            if config["MAIL_USE_TLS"]:
                self._smtp.starttls()
            if config["MAIL_USERNAME"]:
                self._smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnavailableError(
                f"authentication failed ({exc.smtp_code})"
            ) from exc
        except TRANSIENT_ERRORS as exc:
            raise ServerUnavailableError(type(exc).__name__) from exc

    def send(self, email: EmailMessage) -> None:
        """Send one message.

        Raises ``TransientMailError`` or ``PermanentMailError`` for an answer about
        this message (the session stays usable for the next one), and
        ``ServerUnavailableError`` when the session is lost.
        """
        try:
            refused = self._smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if SERVICE_UNAVAILABLE in codes:
                raise ServerUnavailableError(f"recipient deferred {codes}") from exc
            if all(400 <= code < 500 for code in codes):
                raise TransientMailError(f"recipient deferred {codes}") from exc
            raise PermanentMailError(f"recipient refused {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == SERVICE_UNAVAILABLE:
                raise ServerUnavailableError(f"deferred ({exc.smtp_code})") from exc
            if 400 <= exc.smtp_code < 500:
                raise TransientMailError(f"deferred ({exc.smtp_code})") from exc
            raise PermanentMailError(f"refused ({exc.smtp_code})") from exc
        except smtplib.SMTPNotSupportedError as exc:
            # An address needs SMTPUTF8 and the server lacks it: retrying won't help.
            raise PermanentMailError("server lacks SMTPUTF8") from exc
        except TRANSIENT_ERRORS as exc:
            raise ServerUnavailableError(type(exc).__name__) from exc
        if refused:
            raise PermanentMailError("recipient refused")

    def close(self) -> None:
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()


class FileConnection:
    """Development: writes each message to instance/mail/ as an .eml file."""

    def __init__(self) -> None:
        self.folder = Path(current_app.instance_path) / "mail"
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, email: EmailMessage) -> None:
        local_part = email["Message-ID"].strip("<>").split("@", 1)[0]
        (self.folder / f"{local_part}.eml").write_bytes(bytes(email))

    def close(self) -> None:
        return None


def open_connection() -> Connection:
    """A connection to the configured mail backend ("smtp" or "file")."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        return SMTPConnection()
    if backend == "file":
        return FileConnection()
    raise ValueError(f"unknown MAIL_BACKEND {backend!r}")
