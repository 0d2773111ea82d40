"""The outbox: mail queued in a transaction goes to RQ on commit, or by the relay."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from copn.core.clock import utcnow
from copn.core.queues import get_queue, redis_connection
from copn.extensions import db
from copn.notify.models import FAILED, PENDING, SENDING, SENT, OutboxMessage
from copn.notify.services import hand_off, queue_email, relay_once
from tests.conftest import Mailbox, free_port

CONTEXT = {"base_url": "http://copn.test"}


def _queue(recipient: str = "an@example.org", locale: str = "en") -> int:
    return queue_email(recipient, "test_mail", CONTEXT, locale=locale).id


def _row(message_id: int) -> OutboxMessage:
    """The row as the database holds it now, not as this session last saw it."""
    db.session.rollback()
    row = db.session.get(OutboxMessage, message_id)
    assert row is not None
    return row


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _finished_jobs() -> int:
    return FinishedJobRegistry(queue=get_queue("mail")).count


def test_rolled_back_mail_is_never_stored_queued_or_sent(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail queued by an action that rolls back is neither kept nor sent."""
    _queue()
    db.session.rollback()

    assert get_queue("mail").count == 0
    assert _count() == 0
    assert relay_once() == 0
    run_jobs()
    assert mailbox.messages == []


def test_committed_mail_is_sent_exactly_once(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A committed mail arrives once, and the row records that it was sent."""
    message_id = _queue()
    assert get_queue("mail").count == 0
    db.session.commit()

    assert get_queue("mail").count == 1
    run_jobs()
    assert _finished_jobs() == 1
    assert len(mailbox.to("an@example.org")) == 1
    row = _row(message_id)
    assert (row.status, row.attempts, row.claim_token) == (SENT, 1, None)
    assert row.sent_at is not None

    run_jobs()
    assert relay_once() == 0
    run_jobs()
    assert _finished_jobs() == 1
    assert len(mailbox.messages) == 1


def test_duplicate_jobs_send_a_mail_once(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail whose job was queued twice (a relay race, a retry) still arrives once."""
    message_id = _queue()
    db.session.commit()
    assert hand_off([message_id])

    run_jobs()
    assert _finished_jobs() == 2
    assert len(mailbox.messages) == 1
    assert _row(message_id).attempts == 1


def test_relay_leaves_recently_enqueued_mail_to_its_job(
    make_app: Callable[..., Flask],
) -> None:
    """The relay does not enqueue a fresh mail again while its own job is waiting."""
    app = make_app(OUTBOX_RELAY_GRACE=120)
    with app.app_context():
        message_id = _queue()
        db.session.commit()

        assert relay_once() == 0
        assert get_queue("mail").count == 1

        row = _row(message_id)
        row.enqueued_at = utcnow() - timedelta(seconds=121)
        db.session.commit()
        assert relay_once() == 1
        assert get_queue("mail").count == 2


def test_jobs_are_json_and_carry_only_ids(app: Flask) -> None:
    """What RQ keeps in Redis (for a week if a job fails) is JSON holding only ids."""
    recipient = "nguyen.van.a@example.org"
    message_id = _queue(recipient)
    db.session.commit()

    (job,) = get_queue("mail").get_jobs()
    raw = redis_connection().hget(job.key, "data")
    assert raw is not None
    data: list[Any] = json.loads(zlib.decompress(raw))
    assert data == ["copn.notify.jobs.deliver_emails", None, [[message_id]], {}]
    assert recipient.encode() not in zlib.decompress(raw)
    assert job.failure_ttl == app.config["RQ_FAILURE_TTL"]


def test_commit_succeeds_while_redis_is_down(
    make_app: Callable[..., Flask], mailbox: Mailbox
) -> None:
    """With Redis unreachable the action still commits; its mail waits as pending."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        message_id = _queue()
        db.session.commit()

        assert relay_once() == 0
        row = _row(message_id)
        assert (row.status, row.attempts) == (PENDING, 0)
    assert mailbox.messages == []


def _stick_in_sending(message_id: int, claimed_at: Any, attempts: int = 1) -> None:
    row = _row(message_id)
    row.status = SENDING
    row.claim_token = "a-worker-that-died"
    row.claimed_at = claimed_at
    row.attempts = attempts
    db.session.commit()


def test_stale_claim_is_released_and_delivered_once(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail left claimed by a worker that died goes out once after the timeout."""
    message_id = _queue()
    db.session.commit()
    timeout = app.config["OUTBOX_CLAIM_TIMEOUT"]
    _stick_in_sending(message_id, utcnow() - timedelta(seconds=timeout - 30))

    # Its job finds the row claimed by someone else and leaves it alone.
    run_jobs()
    assert _finished_jobs() == 1
    assert mailbox.messages == []
    assert relay_once() == 0
    assert _row(message_id).status == SENDING

    _stick_in_sending(message_id, utcnow() - timedelta(seconds=timeout + 1))
    assert relay_once() == 1
    run_jobs()
    assert len(mailbox.messages) == 1
    row = _row(message_id)
    assert (row.status, row.attempts) == (SENT, 2)

    assert relay_once() == 0
    run_jobs()
    assert len(mailbox.messages) == 1


def test_stale_claim_after_the_last_attempt_fails(
    app: Flask, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """A mail that keeps killing its worker is given up after the last attempt."""
    message_id = _queue()
    db.session.commit()
    get_queue("mail").empty()
    timeout = app.config["OUTBOX_CLAIM_TIMEOUT"]
    max_attempts = app.config["OUTBOX_MAX_ATTEMPTS"]
    stale = utcnow() - timedelta(seconds=timeout + 1)
    _stick_in_sending(message_id, stale, attempts=max_attempts)

    assert relay_once() == 0
    run_jobs()
    row = _row(message_id)
    assert (row.status, row.claim_token) == (FAILED, None)
    assert row.last_error
    assert mailbox.messages == []


def test_failed_hand_off_does_not_fail_the_committed_action(
    make_app: Callable[..., Flask],
) -> None:
    """If handing mail to RQ breaks after the commit, the action still succeeds."""
    app = make_app(RQ_QUEUES=["default"])  # no "mail" queue: hand_off raises
    with app.app_context():
        message_id = _queue()
        db.session.commit()

        assert _row(message_id).status == PENDING
