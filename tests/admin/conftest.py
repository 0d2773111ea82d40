"""Helpers for the administration tests: browsers of their own, admins, audit rows.

The ``app`` fixture keeps an app context pushed, which its own clients share (and
with it Flask-Login's user in ``g``). Browsers here (``new_browser``) are clients
of ``site``, a second app on the same database, so two people can be signed in at
once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from copn.auth.models import User
from copn.auth.services import create_user
from copn.extensions import db
from tests.helpers import audit_events, fresh, mail_text, page_text  # noqa: F401

HTMX = {"HX-Request": "true"}


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
