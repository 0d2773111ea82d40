"""Account rules: password hashing and credential checks."""

from __future__ import annotations

import logging
import unicodedata
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from copn.auth.models import Role, User
from copn.extensions import db

logger = logging.getLogger(__name__)

_hasher = PasswordHasher()


def normalise_password(password: str) -> str:
    """Passwords are compared in NFC, whatever the keyboard produced."""
    return unicodedata.normalize("NFC", password)


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFC", email).strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(normalise_password(password))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None.

    A hash made with older parameters is upgraded in place (flushed, not committed).
    """
    user = db.session.scalar(
        select(User).where(func.lower(User.email) == normalise_email(email))
    )
    if user is None or not user.password:
        # Spend the same time as a real check so timing reveals no accounts.
        _hasher.hash(normalise_password(password))
        return None
    try:
        _hasher.verify(user.password, normalise_password(password))
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password):
        user.password = hash_password(password)
        db.session.flush()
    return user


def create_user(
    email: str,
    name: str,
    password: str | None,
    roles: list[str],
    organisation_id: int | None = None,
) -> User:
    """Create a user with ``roles`` (names); flushes, does not commit."""
    found = db.session.scalars(select(Role).where(Role.name.in_(roles))).all()
    missing = set(roles) - {role.name for role in found}
    if missing:
        raise ValueError(f"unknown roles: {sorted(missing)}")
    user = User(
        email=normalise_email(email),
        name=name,
        password=hash_password(password) if password else None,
        organisation_id=organisation_id,
        roles=list(found),
    )
    db.session.add(user)
    db.session.flush()
    logger.info("User %r created with roles %s", user.id, ",".join(sorted(roles)))
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user``, on every device; flushes, does not commit.

    The session cookie is signed, not stored: a copy of it stays valid until the
    identity it carries (``fs_uniquifier``) changes.
    """
    user.fs_uniquifier = uuid.uuid4().hex
    db.session.flush()
