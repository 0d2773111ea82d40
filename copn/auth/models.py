"""Accounts, their roles and the consents they gave.

The columns follow Flask-Security's user and role shape (``password`` holds the hash,
``fs_uniquifier`` is the session identity, ``tf_*`` and ``mf_recovery_codes`` hold
two-factor settings) because the account flows are Flask-Security's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_security import RoleMixin, UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table, event
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import Mapped, mapped_column, relationship

from copn.core.clock import utcnow
from copn.core.text import fold
from copn.extensions import db

# The access roles of DESIGN.md, in the order navigation shows them.
ROLE_NAMES = (
    "volunteer",
    "trainer",
    "expert",
    "member_staff",
    "coordinator",
    "admin",
)

user_role = Table(
    "user_role",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(RoleMixin, db.Model):
    """An access role: what a person may do in COPN."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    # Flask-Security reads permissions from roles; COPN's access policy does not.
    permissions: Mapped[list[str] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class User(UserMixin, db.Model):
    """A person who can sign in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    fs_uniquifier: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: uuid.uuid4().hex
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    # Name and address folded to lower-case ASCII, for searching without accents;
    # kept current by the listeners below.
    search_name: Mapped[str] = mapped_column(String(500), index=True, default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # When an administrator suspended the account (``active`` is then false).
    suspended_at: Mapped[datetime | None]

    # Sign-in tracking (Flask-Security's trackable).
    last_login_at: Mapped[datetime | None]
    current_login_at: Mapped[datetime | None]
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    current_login_ip: Mapped[str | None] = mapped_column(String(64))
    login_count: Mapped[int | None] = mapped_column(default=0)

    # Two-factor: the method ("authenticator"), the encrypted TOTP secret, the last
    # accepted time step (so a code cannot be used twice) and hashed recovery codes.
    # Flask-Security removes a used recovery code from the list in place: the list
    # must tell SQLAlchemy it changed, or the code would stay usable.
    tf_primary_method: Mapped[str | None] = mapped_column(String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(String(255))
    tf_totp_last_counter: Mapped[int | None]
    mf_recovery_codes: Mapped[list[str] | None] = mapped_column(
        MutableList.as_mutable(JSON)
    )

    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    @property
    def role_names(self) -> set[str]:
        return {role.name for role in self.roles}

    def has_any_role(self, *names: str) -> bool:
        """True when the user holds at least one of the roles ``names``."""
        return not self.role_names.isdisjoint(names)

    def verify_and_update_password(self, password: str | bytes) -> bool:
        """Flask-Security's check, refusing passwords too long to be anyone's."""
        if len(password) > PASSWORD_MAX_LENGTH:
            return False
        return super().verify_and_update_password(password)

    def check_tf_required_setup(self) -> bool:
        """Staff may not switch two-factor off: the setup page offers them no "off"."""
        return self.is_staff

    @property
    def is_staff(self) -> bool:
        """Staff roles must use two-factor and have a shorter idle timeout."""
        return self.has_any_role(*STAFF_ROLES)


# Longer passwords are refused before hashing (passlib stops at 4096 bytes).
PASSWORD_MAX_LENGTH = 1024


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_search_name(mapper: Any, connection: Any, user: User) -> None:
    user.search_name = fold(f"{user.name or ''} {user.email or ''}")[:500]


# Roles that must sign in with two-factor authentication (DESIGN.md, accounts issue).
STAFF_ROLES = ("trainer", "expert", "member_staff", "coordinator", "admin")


class Consent(db.Model):
    """A consent a person gave, with the version of the text and the time (PDPL)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    # What it was for: "privacy_notice", "code_of_conduct", ...
    purpose: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Consent {self.id} {self.purpose} {self.version}>"

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "version": self.version,
            "given_at": self.given_at.isoformat(),
            "withdrawn_at": self.withdrawn_at.isoformat()
            if self.withdrawn_at
            else None,
        }


# Granting these roles takes a second administrator's confirmation.
CONFIRMED_ROLES = ("coordinator", "admin")

ROLE_CHANGE_PENDING = "pending"
ROLE_CHANGE_APPLIED = "applied"
ROLE_CHANGE_CANCELLED = "cancelled"


class RoleChange(db.Model):
    """A grant or revocation of a role: the history, and grants awaiting confirmation.

    A grant of coordinator or admin stays pending until an administrator other than
    the one who asked confirms it; other changes are applied at once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"))
    # "grant" or "revoke"
    action: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=ROLE_CHANGE_PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]

    role: Mapped[Role] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    requested_by: Mapped[User | None] = relationship(
        foreign_keys=[requested_by_id], lazy="joined"
    )

    def __repr__(self) -> str:
        return f"<RoleChange {self.id} {self.action} {self.status}>"
