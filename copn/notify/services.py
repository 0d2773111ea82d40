"""Queueing mail through the outbox.

``queue_email`` writes a row in the caller's transaction. When that transaction
commits, the new rows are handed to RQ at once; if Redis is down, nothing is lost:
the relay (``flask notify relay``) finds pending rows in the database and hands them
out again. Delivery claims each row first, so a retried job never sends twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session
from redis.exceptions import RedisError
from sqlalchemy import event, or_, select, update

from copn.core.clock import utcnow
from copn.core.queues import get_queue
from copn.extensions import db
from copn.notify.models import FAILED, PENDING, SENDING, OutboxMessage

logger = logging.getLogger(__name__)

_NEW_IDS = "copn_outbox_new_ids"
_REDIS_DOWN_UNTIL = "copn_outbox_redis_down_until"
# After a failed hand-off, skip the immediate one for this long: the relay covers it.
_BACKOFF_AFTER_REDIS_FAILURE = 30.0


def queue_email(
    recipient: str,
    template: str,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
) -> OutboxMessage:
    """Add an email to the outbox in the current transaction (flushed, not committed).

    ``template`` names ``templates/email/<template>.html``; ``context`` must be
    JSON-serialisable and hold absolute URLs (mail is rendered outside a request).
    """
    now = utcnow()
    message = OutboxMessage(
        recipient=recipient,
        template=template,
        context=context or {},
        locale=locale or current_app.config["BABEL_DEFAULT_LOCALE"],
        next_attempt_at=now,
        enqueued_at=now,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_NEW_IDS, []).append(message.id)
    return message


@event.listens_for(Session, "after_commit")
def _hand_off_after_commit(session: Session) -> None:
    ids = session.info.pop(_NEW_IDS, None)
    if not ids or not has_app_context():
        return
    try:
        hand_off(ids)
    except Exception:
        # The action is committed: raising here would report it as failed.
        logger.exception("Hand-off of %d outbox message(s) failed", len(ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_NEW_IDS, None)


def hand_off(ids: Iterable[int]) -> bool:
    """Enqueue delivery jobs for ``ids`` in batches; False if Redis is unreachable."""
    extensions = current_app.extensions
    if extensions.get(_REDIS_DOWN_UNTIL, 0.0) > time.monotonic():
        return False

    ids = list(ids)
    size = current_app.config["MAIL_BATCH_SIZE"]
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    queue = get_queue("mail")
    try:
        queue.enqueue_many(
            [
                queue.prepare_data(
                    "copn.notify.jobs.deliver_emails",
                    args=(batch,),
                    failure_ttl=current_app.config["RQ_FAILURE_TTL"],
                    result_ttl=current_app.config["RQ_RESULT_TTL"],
                )
                for batch in batches
            ]
        )
    except RedisError:
        extensions[_REDIS_DOWN_UNTIL] = time.monotonic() + _BACKOFF_AFTER_REDIS_FAILURE
        logger.warning(
            "Redis unavailable: %d outbox message(s) left for the relay", len(ids)
        )
        return False
    extensions.pop(_REDIS_DOWN_UNTIL, None)
    return True


def relay_once(limit: int = 5000) -> int:
    """Hand out pending messages that are due and not recently enqueued.

    Also returns claims older than ``OUTBOX_CLAIM_TIMEOUT`` to pending (a worker died
    mid-batch), or marks them failed after ``OUTBOX_MAX_ATTEMPTS``, so a message that
    kills its worker is not tried for ever. Commits. Returns how many messages were
    handed to RQ.
    """
    config = current_app.config
    now = utcnow()

    stale = now - timedelta(seconds=config["OUTBOX_CLAIM_TIMEOUT"])
    is_stale = (OutboxMessage.status == SENDING, OutboxMessage.claimed_at < stale)
    given_up = db.session.execute(
        update(OutboxMessage)
        .where(*is_stale, OutboxMessage.attempts >= config["OUTBOX_MAX_ATTEMPTS"])
        .values(
            status=FAILED, claim_token=None, claimed_at=None, last_error="claim expired"
        )
    ).rowcount  # type: ignore[attr-defined]
    if given_up:
        logger.warning("%d outbox message(s) failed: claim expired", given_up)
    db.session.execute(
        update(OutboxMessage)
        .where(*is_stale)
        .values(status=PENDING, claim_token=None, claimed_at=None)
    )

    grace = now - timedelta(seconds=config["OUTBOX_RELAY_GRACE"])
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(
                OutboxMessage.enqueued_at.is_(None), OutboxMessage.enqueued_at <= grace
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    if not ids:
        return 0

    current_app.extensions.pop(_REDIS_DOWN_UNTIL, None)
    if not hand_off(ids):
        return 0
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
        .values(enqueued_at=now)
    )
    db.session.commit()
    logger.info("Relay handed %d outbox message(s) to the mail queue", len(ids))
    return len(ids)
