"""``flask notify`` for operators; the forking ``flask jobs worker`` sending mail."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from copn import ROOT
from copn.core.clock import utcnow
from copn.core.models import AuditEvent
from copn.core.queues import get_queue
from copn.extensions import db
from copn.notify.models import PENDING, SENT, OutboxMessage
from copn.notify.services import queue_email
from tests.conftest import Mailbox, free_port


def _only_row() -> OutboxMessage:
    db.session.rollback()
    (row,) = db.session.scalars(select(OutboxMessage)).all()
    return row


def test_send_test_mail_queues_through_the_outbox(
    app: Flask, runner: Any, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """An operator's test mail is kept in the outbox and audit trail, then sent."""
    result = runner.invoke(
        args=["notify", "send-test-mail", "ops@example.org", "--locale", "en"]
    )

    assert result.exit_code == 0, result.output
    row = _only_row()
    assert f"outbox message {row.id}" in result.output
    assert (row.recipient, row.locale, row.status) == ("ops@example.org", "en", PENDING)
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.object_id) == ("mail.test_queued", row.id)
    assert "ops@example.org" not in str(event.data)

    run_jobs()
    (message,) = mailbox.to("ops@example.org")
    assert message["Content-Language"] == "en"
    assert _only_row().status == SENT


def test_send_test_mail_rejects_an_unknown_language(app: Flask, runner: Any) -> None:
    """Asking for a language COPN does not speak is refused, and nothing is queued."""
    result = runner.invoke(
        args=["notify", "send-test-mail", "ops@example.org", "--locale", "fr"]
    )

    assert result.exit_code == 2
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_relay_once_reports_what_it_handed_out(
    app: Flask, runner: Any, run_jobs: Callable[[], int], mailbox: Mailbox
) -> None:
    """``flask notify relay --once`` hands due mail to the queue and says how many."""
    for n in range(3):
        queue_email(f"m{n}@example.org", "test_mail", {}, locale="vi")
    db.session.commit()
    get_queue("mail").empty()  # as if Redis had lost the jobs

    result = runner.invoke(args=["notify", "relay", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 message(s) handed to the mail queue" in result.output

    run_jobs()
    assert len(mailbox.messages) == 3
    result = runner.invoke(args=["notify", "relay", "--once"])
    assert "0 message(s) handed to the mail queue" in result.output


def test_relay_once_survives_redis_being_down(
    make_app: Callable[..., Flask],
) -> None:
    """With Redis down the relay pass exits cleanly and leaves mail pending."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        queue_email("m@example.org", "test_mail", {}, locale="vi")
        db.session.commit()
        _only_row().enqueued_at = utcnow() - timedelta(minutes=5)
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["notify", "relay", "--once"])

    assert result.exit_code == 0, result.output
    assert "0 message(s) handed to the mail queue" in result.output
    with app.app_context():
        assert _only_row().status == PENDING


def _worker_environment(app: Flask, tmp_path: Path) -> dict[str, str]:
    """The environment of a deployed worker: only COPN_* variables configure it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPN_")}
    env.update(
        FLASK_APP="wsgi.py",
        COPN_ENV="testing",
        COPN_SECRET_KEY=secrets.token_hex(32),
        COPN_INSTANCE_PATH=str(tmp_path),
        COPN_DATABASE_URL=app.config["DATABASE_URL"],
        COPN_REDIS_URL=app.config["REDIS_URL"],
        COPN_MAIL_BACKEND="smtp",
        COPN_MAIL_SERVER=app.config["MAIL_SERVER"],
        COPN_MAIL_PORT=str(app.config["MAIL_PORT"]),
        COPN_BASE_URL="http://copn.test",
    )
    return env


def test_forking_worker_delivers_mail(
    app: Flask, tmp_path: Path, mailbox: Mailbox
) -> None:
    """``flask jobs worker --burst``, as deployed, forks a child that sends the mail."""
    queue_email("far@example.org", "test_mail", {"base_url": "http://copn.test"}, "vi")
    db.session.commit()
    db.session.remove()

    result = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=_worker_environment(app, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(mailbox.to("far@example.org")) == 1
    assert _only_row().status == SENT
    assert get_queue("mail").count == 0


def test_worker_command_refuses_an_unknown_queue(app: Flask, runner: Any) -> None:
    """``flask jobs worker -q`` with a misspelt queue stops with a usage error."""
    result = runner.invoke(args=["jobs", "worker", "--burst", "-q", "mails"])

    assert result.exit_code == 2
    assert "unknown queue 'mails'" in result.output
