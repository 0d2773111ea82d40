"""Sessions stored in the database, so that ending one takes effect at once.

The cookie carries a random id; the row holds the data. Signing out deletes the row
(a copied cookie then opens an empty session), signing in issues a new id (no session
fixation), and ``end_sessions`` deletes every row of an account (password change,
suspension). A session ends after ``SESSION_IDLE_TIMEOUT`` seconds without a
request (``SESSION_IDLE_TIMEOUT_STAFF`` for staff roles) or
``PERMANENT_SESSION_LIFETIME`` after it began.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask import session as current_session
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from copn.core.clock import utcnow
from copn.core.models import ServerSession
from copn.extensions import db

logger = logging.getLogger(__name__)

# Seconds between two writes of last_seen_at for a session whose data did not change.
TOUCH_INTERVAL = 60


class DatabaseSession(CallbackDict, SessionMixin):  # type: ignore[misc]
    """The session's data, with what is needed to save it."""

    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None):
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.modified = False
        self.regenerate = False


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> DatabaseSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if not sid or len(sid) > 100 or _is_static(app, request):
            return DatabaseSession()
        row = db.session.scalar(
            select(ServerSession).where(ServerSession.sid_hash == _hash(sid))
        )
        now = utcnow()
        if row is None:
            return DatabaseSession()
        idle_limit = row.last_seen_at + timedelta(seconds=row.idle_seconds)
        if now > row.expires_at or now > idle_limit:
            db.session.delete(row)
            db.session.commit()
            return DatabaseSession()
        session = DatabaseSession(dict(row.data), sid)
        session.row = row  # type: ignore[attr-defined]
        # What was stored, as plain values: the row's attributes expire when the
        # view commits, and reading them again would cost a query.
        # A deep copy: flash() appends to the stored list in place.
        stored = (copy.deepcopy(row.data), row.last_seen_at)
        session.stored = stored  # type: ignore[attr-defined]
        return session

    def save_session(  # type: ignore[override]
        self, app: Flask, session: DatabaseSession, response: Response
    ) -> None:
        if _is_static(app, request):
            return
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        row: ServerSession | None = getattr(session, "row", None)
        now = utcnow()
        if row is not None and session and not session.regenerate:
            # "modified" is not enough: Flask-Login re-sets a key to the same value
            # on every request. Unchanged data is written once a minute at most.
            stored_data, last_seen = session.stored  # type: ignore[attr-defined]
            recent = (now - last_seen).total_seconds() < TOUCH_INTERVAL
            if recent and dict(session) == stored_data:
                return
        # NOTE: whatever the view left uncommitted is discarded here, as the request's
        # teardown would do; committing the session row must not commit it too.
        db.session.rollback()

        if session.regenerate or not session:
            if row is not None:
                db.session.delete(row)
                row = None
            if not session:
                db.session.commit()
                if session.sid:
                    response.delete_cookie(name, domain=domain, path=path)
                response.vary.add("Cookie")
                return

        if row is None:
            session.sid = secrets.token_urlsafe(32)
            row = ServerSession(
                sid_hash=_hash(session.sid),
                created_at=now,
                expires_at=now + app.permanent_session_lifetime,
                idle_seconds=0,
            )
            db.session.add(row)

        user = _signed_in_user()
        row.user_id = user.id if user is not None else None
        row.idle_seconds = idle_timeout(app, user)
        row.data = dict(session)
        row.last_seen_at = now
        _describe(row)
        expires = row.expires_at
        db.session.commit()

        response.vary.add("Cookie")
        response.set_cookie(
            name,
            session.sid,  # type: ignore[arg-type]
            expires=expires,
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )


def _is_static(app: Flask, request: Request) -> bool:
    prefix = (app.static_url_path or "/static") + "/"
    return request.path.startswith(prefix)


def idle_timeout(app: Flask, user: Any) -> int:
    """Seconds of inactivity after which ``user``'s session ends."""
    if user is not None and getattr(user, "is_staff", False):
        return app.config["SESSION_IDLE_TIMEOUT_STAFF"]
    return app.config["SESSION_IDLE_TIMEOUT"]


def _signed_in_user() -> Any:
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user
    return None


def _describe(row: ServerSession) -> None:
    row.ip = (request.remote_addr or "")[:64] or None
    agent = request.headers.get("User-Agent", "")
    row.user_agent = agent[:200] or None


def regenerate() -> None:
    """Give the current session a new id at the end of this request (on sign-in)."""
    if isinstance(current_session, DatabaseSession):
        current_session.regenerate = True


def end_current() -> None:
    """End the current session: its data is dropped and its row deleted.

    What is stored after this (a message for the next page) goes into a new session
    with a new id; without it the cookie is deleted.
    """
    if isinstance(current_session, DatabaseSession):
        current_session.clear()
        current_session.regenerate = True


def end_sessions(user_id: int, keep_sid: str | None = None) -> int:
    """Delete the sessions of ``user_id`` but ``keep_sid``; flushes; returns a count."""
    statement = delete(ServerSession).where(ServerSession.user_id == user_id)
    if keep_sid:
        statement = statement.where(ServerSession.sid_hash != _hash(keep_sid))
    result = db.session.execute(statement)
    return result.rowcount or 0  # type: ignore[attr-defined]


def current_sid() -> str | None:
    return getattr(current_session, "sid", None)


def current_sid_hash() -> str | None:
    sid = current_sid()
    return _hash(sid) if sid else None


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()


def purge_expired(now: datetime | None = None) -> int:
    """Delete sessions past their lifetime or idle limit; flushes, returns the count.

    Sessions end on their own when next presented; this removes the rows of those
    never presented again (run by ``flask auth purge-sessions``).
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(
            ServerSession.id, ServerSession.last_seen_at, ServerSession.idle_seconds
        ).where(ServerSession.last_seen_at < now - timedelta(minutes=1))
    ).all()
    ended = [
        row.id
        for row in rows
        if row.last_seen_at + timedelta(seconds=row.idle_seconds) < now
    ]
    expired = select(ServerSession.id).where(ServerSession.expires_at < now)
    ended.extend(db.session.scalars(expired))
    if not ended:
        return 0
    result = db.session.execute(
        delete(ServerSession).where(ServerSession.id.in_(set(ended)))
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
