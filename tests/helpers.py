"""Helpers the tests of several areas share (fixtures are in tests/conftest.py)."""

from __future__ import annotations

import html
from email.message import Message
from typing import Any

from sqlalchemy import select

from copn.auth.models import User
from copn.core.models import AuditEvent
from copn.extensions import db


def page_text(response: Any) -> str:
    """The response body with HTML entities decoded (apostrophes, quotes)."""
    return html.unescape(response.get_data(as_text=True))


def mail_text(message: Message) -> str:
    """The plain-text part of a received message."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("no text/plain part")


def audit_events(action: str | None = None) -> list[AuditEvent]:
    """The audit trail as committed, oldest first, optionally of one ``action``."""
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def fresh(user: User) -> User:
    """``user`` as committed now."""
    db.session.expire_all()
    return db.session.get(User, user.id)
