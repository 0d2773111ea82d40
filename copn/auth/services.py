"""Account rules that Flask-Security does not cover: creating accounts by command."""

from __future__ import annotations

import logging
import unicodedata

from flask import current_app
from flask_security import hash_password
from sqlalchemy import select

from copn.auth.models import Role, User
from copn.core.clock import utcnow
from copn.core.models import ServerSession
from copn.extensions import db

logger = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFC", email).strip().lower()


def create_user(
    email: str,
    name: str,
    password: str | None,
    roles: list[str],
    organisation_id: int | None = None,
    confirmed: bool = True,
) -> User:
    """Create a user with ``roles`` (names); flushes, does not commit.

    Accounts made by a command or an administrator have a known address, so they
    count as confirmed unless ``confirmed`` is false. Raises ``ValueError`` for an
    unknown role.
    """
    found = db.session.scalars(select(Role).where(Role.name.in_(roles))).all()
    missing = set(roles) - {role.name for role in found}
    if missing:
        raise ValueError(f"unknown roles: {sorted(missing)}")
    user = User(
        email=normalise_email(email),
        name=name,
        password=_hash(password) if password else None,
        organisation_id=organisation_id,
        confirmed_at=utcnow() if confirmed else None,
        roles=list(found),
    )
    db.session.add(user)
    db.session.flush()
    logger.info("User %r created with roles %s", user.id, ",".join(sorted(roles)))
    return user


def _hash(password: str) -> str:
    """The hash of ``password`` normalised (NFC) as the sign-in form normalises it.

    Without this, a password typed decomposed when the account was made could never
    be matched by the composed form the sign-in compares.
    """
    password_util = current_app.extensions["security"].password_util
    return hash_password(password_util.normalize(password))


def active_sessions(user_id: int) -> list[ServerSession]:
    """The sessions of ``user_id`` that have not ended, most recent first."""
    return list(
        db.session.scalars(
            select(ServerSession)
            .where(ServerSession.user_id == user_id)
            .order_by(ServerSession.last_seen_at.desc())
        )
    )
