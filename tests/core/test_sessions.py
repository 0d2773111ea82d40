"""Ended sessions are removed from the database by the purge command."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from copn.core.clock import utcnow
from copn.core.models import ServerSession
from copn.extensions import db


def _session(sid_hash: str, seen_ago: timedelta, idle: int, lifetime_left: timedelta):
    now = utcnow()
    row = ServerSession(
        sid_hash=sid_hash.ljust(64, "0"),
        data={},
        created_at=now - seen_ago,
        last_seen_at=now - seen_ago,
        idle_seconds=idle,
        expires_at=now + lifetime_left,
    )
    db.session.add(row)
    return row


def test_purge_removes_idle_and_expired_sessions_only(app, runner):
    """Sessions idle too long or past their lifetime go; live ones stay."""
    _session("a", timedelta(minutes=40), 1800, timedelta(hours=5))  # idle too long
    _session("b", timedelta(minutes=10), 1800, timedelta(hours=5))  # live
    _session("c", timedelta(minutes=1), 14400, -timedelta(seconds=1))  # expired
    _session("d", timedelta(hours=3), 14400, timedelta(hours=1))  # live volunteer
    db.session.commit()

    result = runner.invoke(args=["auth", "purge-sessions"])

    assert result.exit_code == 0, result.output
    assert "2 ended session(s) removed." in result.output
    left = db.session.scalars(select(ServerSession.sid_hash)).all()
    assert sorted(h[0] for h in left) == ["b", "d"]


def test_purge_with_nothing_to_remove_changes_nothing(app, runner):
    """Running the purge on live sessions only removes none of them."""
    _session("b", timedelta(minutes=10), 1800, timedelta(hours=5))
    db.session.commit()

    result = runner.invoke(args=["auth", "purge-sessions"])

    assert "0 ended session(s) removed." in result.output
    assert db.session.scalar(select(func.count(ServerSession.id))) == 1


def test_an_unchanged_session_is_not_written_on_every_request(make_app):
    """Reading pages does not rewrite the visitor's session row each time."""
    from sqlalchemy import event

    site = make_app()
    client = site.test_client()
    for _ in range(2):  # the session settles: token, then Flask-Login's mark
        client.get("/network/organisations")
    writes = []
    with site.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if statement.startswith("UPDATE server_session"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            client.get("/network/organisations")
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert writes == []
