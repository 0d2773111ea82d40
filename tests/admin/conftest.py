"""Helpers for the administration tests: browsers of their own, admins, audit rows.

The ``app`` fixture keeps an app context pushed, which its own clients share (and
with it Flask-Login's user in ``g``). Browsers here (``new_browser``) are clients
of ``site``, a second app on the same database, so two people can be signed in at
once.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from copn.auth.models import User
from copn.auth.services import create_user
from copn.core.models import AuditEvent
from copn.extensions import db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def site(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """A second app on the test database, without a pushed context."""
    return make_app()


@pytest.fixture
def new_browser(site: Flask) -> Callable[[], FlaskClient]:
    """Open a new browser on ``site``, with its own cookies and session."""
    return site.test_client


@pytest.fixture
def make_admin(make_user: Callable[..., Any]) -> Callable[..., User]:
    """An administrator (two-factor on) who reads COPN in English."""

    def make(**kwargs: Any) -> User:
        admin = make_user("admin", **kwargs)
        admin.locale = "en"
        db.session.commit()
        return admin

    return make


@pytest.fixture
def admin(make_admin: Callable[..., User]) -> User:
    return make_admin(name="Quản Trị Viên")


@pytest.fixture
def as_admin(admin: User, new_browser: Any, sign_in: Any) -> FlaskClient:
    """A browser signed in as ``admin``."""
    return sign_in(admin, on=new_browser())


@pytest.fixture
def add_people(app: Flask) -> Callable[..., list[User]]:
    """Create ``count`` volunteers quickly (no password to hash); oldest first."""

    def add(count: int, prefix: str = "person") -> list[User]:
        people = [
            create_user(
                f"{prefix}{n}@example.org", f"Tình Nguyện {n}", None, ["volunteer"]
            )
            for n in range(count)
        ]
        db.session.commit()
        return people

    return add


def text_of(response: Any) -> str:
    """The body with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def audit_events(action: str | None = None) -> list[AuditEvent]:
    """The committed audit trail, oldest first, optionally of one ``action``."""
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def fresh(user: User) -> User:
    """``user`` as committed now."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def mail_text(message: Message) -> str:
    """The plain-text part of a received message."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("no text/plain part")
