"""Fault test: Redis is down when an action commits mail; nothing is lost or doubled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from copn.extensions import db
from copn.notify.models import PENDING, SENT, OutboxMessage
from tests.conftest import EmbeddedRedis, Mailbox


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, which it may stop and start on the same port."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def _rows(app: Flask) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        return [(r.recipient, r.status, r.attempts) for r in rows]


def _invoke(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_mail_committed_while_redis_is_down_is_sent_once_it_is_back(
    make_app: Callable[..., Flask], own_redis: EmbeddedRedis, mailbox: Mailbox
) -> None:
    """An action taken during a Redis outage succeeds; its mail goes out once after."""
    app = make_app(REDIS_URL=own_redis.url)
    own_redis.stop()

    result = _invoke(app, "notify", "send-test-mail", "fault@example.org")
    assert "Test mail queued as outbox message" in result.output
    assert _rows(app) == [("fault@example.org", PENDING, 0)]
    result = _invoke(app, "notify", "relay", "--once")
    assert "0 message(s) handed to the mail queue" in result.output

    own_redis.start()
    result = _invoke(app, "notify", "relay", "--once")
    assert "1 message(s) handed to the mail queue" in result.output
    _invoke(app, "jobs", "worker", "--burst", "--simple")
    assert len(mailbox.to("fault@example.org")) == 1
    assert _rows(app) == [("fault@example.org", SENT, 1)]

    result = _invoke(app, "notify", "relay", "--once")
    assert "0 message(s) handed to the mail queue" in result.output
    _invoke(app, "jobs", "worker", "--burst", "--simple")
    assert len(mailbox.messages) == 1
