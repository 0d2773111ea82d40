"""Delivery jobs. They take outbox ids, claim rows before sending, and commit."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from copn.core.clock import utcnow
from copn.extensions import db
from copn.notify import mail
from copn.notify.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

logger = logging.getLogger(__name__)


def deliver_emails(ids: list[int]) -> int:
    """Send the pending messages among ``ids`` over one connection; return how many.

    Each row is claimed (pending -> sending) before anything is sent, so a retried or
    duplicated job finds nothing left to send. When the server cannot be reached or
    drops the session, the unsent rows go back to pending with a growing delay, for
    the relay to hand out again; a 4xx answer about one message does that to that
    message only, and a permanent refusal or a template that cannot render marks
    that row failed. Commits after each message.
    """
    messages = _claim(ids)
    if not messages:
        return 0

    sent = 0
    connection: mail.Connection | None = None
    try:
        for position, message in enumerate(messages):
            try:
                email = mail.build_message(
                    message.id,
                    message.created_at,
                    message.recipient,
                    message.template,
                    message.context,
                    message.locale,
                )
            except Exception:
                # A template that cannot render will not render on a retry either.
                logger.exception("Outbox message %r could not be rendered", message.id)
                _finish(message, FAILED, "render error")
                continue
            try:
                if connection is None:
                    connection = mail.open_connection()
                connection.send(email)
            except mail.ServerUnavailableError as exc:
                _reschedule(messages[position:], str(exc))
                break
            except mail.TransientMailError as exc:
                # Only this message was deferred; the session goes on with the rest.
                _reschedule([message], str(exc))
                continue
            except mail.PermanentMailError as exc:
                _finish(message, FAILED, str(exc))
                logger.warning("Outbox message %r refused: %s", message.id, exc)
                continue
            _finish(message, SENT)
            sent += 1
    finally:
        if connection is not None:
            connection.close()

    if sent:
        logger.info("Delivered %d of %d outbox message(s)", sent, len(messages))
    return sent


def _claim(ids: list[int]) -> list[OutboxMessage]:
    token = uuid.uuid4().hex
    now = utcnow()
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(
            status=SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
    )


def _finish(message: OutboxMessage, status: str, error: str | None = None) -> None:
    """Record the outcome of one message at once, so a crash later sends it no more."""
    message.status = status
    message.claim_token = None
    message.last_error = error[:200] if error else None
    if status == SENT:
        message.sent_at = utcnow()
    db.session.commit()


def _reschedule(messages: list[OutboxMessage], error: str) -> None:
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    now = utcnow()
    for message in messages:
        message.claim_token = None
        message.claimed_at = None
        message.last_error = error[:200]
        if message.attempts >= max_attempts:
            message.status = FAILED
            continue
        message.status = PENDING
        delay = min(30 * 2 ** (message.attempts - 1), 3600)
        message.next_attempt_at = now + timedelta(seconds=delay)
    db.session.commit()
    logger.warning(
        "Mail delivery deferred for %d outbox message(s): %s", len(messages), error
    )
