"""Administration rules: accounts, roles, two-factor resets and the audit log.

Every action flushes and writes an audit record; the request commits once. An
action the rules forbid raises ``Refused``, whose text (translated) tells the
administrator why.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security.recoverable import generate_reset_password_token
from sqlalchemy import ColumnElement, func, select

from copn.auth.models import (
    CONFIRMED_ROLES,
    ROLE_CHANGE_APPLIED,
    ROLE_CHANGE_CANCELLED,
    ROLE_CHANGE_PENDING,
    ROLE_NAMES,
    Role,
    RoleChange,
    User,
)
from copn.auth.services import create_user, normalise_email
from copn.core import audit, sessions
from copn.core.clock import utcnow
from copn.core.database import MAX_ID
from copn.core.models import AuditEvent
from copn.core.text import fold
from copn.extensions import db
from copn.network.models import Organisation
from copn.notify.services import queue_email

logger = logging.getLogger(__name__)

USERS_PAGE_SIZE = 50
# Words of a search that are used; more narrow nothing in practice.
SEARCH_WORDS = 5
AUDIT_PAGE_SIZE = 50
# The pending confirmations page shows at most this many, oldest first.
PENDING_LIMIT = 100
# Rows read per query while the CSV export streams.
CSV_BATCH_SIZE = 1000

STATUS_LABELS = {
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "unconfirmed": _l("Unconfirmed"),
}
STATUSES = tuple(STATUS_LABELS)
# Roles that belong to a member organisation; member staff must have one.
ORGANISATION_ROLES = ("member_staff", "trainer")


class Refused(Exception):
    """The rules do not allow this action; ``str(error)`` says why, translated.

    ``field`` names the form field the reason belongs to, if any.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DuplicateEmail(Refused):
    """An account with this address exists already."""


# --- Searching accounts ----------------------------------------------------------


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_users(
    query: str = "",
    role: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = USERS_PAGE_SIZE,
) -> tuple[list[User], int | None]:
    """One page of accounts, newest first, and the ``before`` of the next page.

    Each word of ``query`` must be in the name (diacritics and case ignored) or
    the email address.
    Keyset pagination: only ids below ``before``; roles are loaded in one query.
    """
    statement = select(User).order_by(User.id.desc()).limit(limit + 1)
    for word in fold(query).split()[:SEARCH_WORDS]:
        statement = statement.where(
            User.search_name.like(_like_pattern(word), escape="\\")
        )
    if role:
        statement = statement.where(User.roles.any(Role.name == role))
    if status:
        statement = statement.where(_status_condition(status))
    if before is not None:
        statement = statement.where(User.id < before)

    users = list(db.session.scalars(statement))
    more = len(users) > limit
    users = users[:limit]
    return users, users[-1].id if more else None


def _status_condition(status: str) -> ColumnElement[bool]:
    if status == "suspended":
        return User.active.is_(False)
    if status == "unconfirmed":
        return User.active.is_(True) & User.confirmed_at.is_(None)
    return User.active.is_(True) & User.confirmed_at.is_not(None)


def status_of(user: User) -> str:
    """ "active", "suspended" or "unconfirmed" (see the users list's filter)."""
    if not user.active:
        return "suspended"
    return "active" if user.confirmed_at else "unconfirmed"


def current_organisations(locale: str) -> list[Organisation]:
    """Member organisations people can belong to, by their name in ``locale``."""
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.withdrawn_on.is_(None))
    )
    return sorted(organisations, key=lambda org: fold(org.name(locale)))


def get_user(user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(User, user_id)


def get_role_change(change_id: int) -> RoleChange | None:
    if not 0 < change_id <= MAX_ID:
        return None
    return db.session.get(RoleChange, change_id)


# --- Creating accounts -----------------------------------------------------------


def create_account(
    name: str,
    email: str,
    roles: Sequence[str],
    organisation_id: int | None,
    locale: str,
    actor_id: int,
) -> tuple[User, list[RoleChange]]:
    """Create a confirmed account without a password and mail the person a link.

    Roles that need a second administrator (coordinator, admin) are requested,
    not granted; the others are granted at once. The mail (in ``locale``) holds a
    link to choose a password. Returns the user and their role changes; flushes.
    Raises ``DuplicateEmail`` if the address is taken, ``Refused`` for an unknown
    role or organisation.
    """
    address = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == address)):
        raise DuplicateEmail(
            _("An account with this email address exists already."), field="email"
        )
    _check_roles(roles)
    _check_organisation(organisation_id)
    if organisation_id is not None and not set(roles) & set(ORGANISATION_ROLES):
        raise Refused(
            _("Only member organisation staff and trainers have an organisation."),
            field="organisation_id",
        )
    if "member_staff" in roles and organisation_id is None:
        raise Refused(
            _("Member organisation staff need an organisation."),
            field="organisation_id",
        )

    user = create_user(address, name, None, [], organisation_id, confirmed=True)
    user.locale = locale
    changes = [_change_role(user, role, actor_id) for role in roles]
    link = url_for(
        "security.reset_password",
        token=generate_reset_password_token(user),
        _external=True,
    )
    queue_email(
        user.email,
        "admin/account_created",
        {
            "name": user.name,
            "reset_link": link,
            "forgot_password_link": url_for("security.forgot_password", _external=True),
            "base_url": current_app.config["BASE_URL"],
        },
        locale=locale,
    )
    audit.record(
        "admin.user_created",
        "user",
        user.id,
        actor_id=actor_id,
        roles=sorted(c.role.name for c in changes if c.status == ROLE_CHANGE_APPLIED),
        requested=sorted(
            c.role.name for c in changes if c.status == ROLE_CHANGE_PENDING
        ),
        organisation_id=organisation_id,
    )
    logger.info("User %r created by administrator %s", user.id, actor_id)
    return user, changes


def _check_roles(roles: Sequence[str]) -> None:
    unknown = sorted(set(roles) - set(ROLE_NAMES))
    if unknown:
        raise Refused(
            _("Unknown role: %(role)s.", role=", ".join(unknown)), field="role"
        )


def _check_organisation(organisation_id: int | None) -> None:
    if organisation_id is None:
        return
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.withdrawn_on is not None:
        raise Refused(
            _("Please choose a current member organisation."),
            field="organisation_id",
        )


def _role(name: str) -> Role:
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        raise Refused(_("Unknown role: %(role)s.", role=name))
    return role


def _change_role(user: User, name: str, actor_id: int) -> RoleChange:
    """Grant ``name`` at once, or request it when a second admin must confirm."""
    role = _role(name)
    change = RoleChange(
        user_id=user.id,
        role_id=role.id,
        role=role,
        action="grant",
        requested_by_id=actor_id,
        requested_at=utcnow(),
    )
    if name in CONFIRMED_ROLES:
        change.status = ROLE_CHANGE_PENDING
    else:
        _decide(change, ROLE_CHANGE_APPLIED, actor_id)
        user.roles.append(role)
    db.session.add(change)
    db.session.flush()
    return change


def _decide(change: RoleChange, status: str, actor_id: int) -> None:
    change.status = status
    change.decided_by_id = actor_id
    change.decided_at = utcnow()


# --- Suspending ------------------------------------------------------------------


def suspend(user: User, actor_id: int) -> int:
    """Suspend ``user``: no sign-in, and every session ends now; returns how many.

    Raises ``Refused`` for one's own account or an account already suspended.
    """
    if user.id == actor_id:
        raise Refused(_("You cannot suspend your own account."))
    if not user.active:
        raise Refused(_("This account is suspended already."))

    user.active = False
    user.suspended_at = utcnow()
    ended = sessions.end_sessions(user.id)
    audit.record(
        "admin.user_suspended", "user", user.id, actor_id=actor_id, sessions=ended
    )
    db.session.flush()
    logger.info("User %r suspended by administrator %s", user.id, actor_id)
    return ended


def reactivate(user: User, actor_id: int) -> None:
    """Let a suspended ``user`` sign in again; raises ``Refused`` if not suspended."""
    if user.active:
        raise Refused(_("This account is not suspended."))

    user.active = True
    user.suspended_at = None
    audit.record("admin.user_reactivated", "user", user.id, actor_id=actor_id)
    db.session.flush()
    logger.info("User %r reactivated by administrator %s", user.id, actor_id)


# --- Roles -----------------------------------------------------------------------


def grant_role(
    user: User, name: str, actor_id: int, organisation_id: int | None = None
) -> RoleChange:
    """Grant role ``name`` to ``user``, or request it if a second admin must confirm.

    ``organisation_id`` sets the person's organisation (member staff and
    trainers); member staff must have one. Raises ``Refused`` for an unknown role,
    a role held or already requested, or a missing organisation.
    """
    _check_roles([name])
    if name in user.role_names:
        raise Refused(_("This person already holds this role."))
    if _pending(user.id, name) is not None:
        raise Refused(_("This role is already waiting for confirmation."))
    if organisation_id is not None:
        if name not in ORGANISATION_ROLES:
            raise Refused(
                _("Only member organisation staff and trainers have an organisation."),
                field="organisation_id",
            )
        _check_organisation(organisation_id)
        user.organisation_id = organisation_id
    if name == "member_staff" and user.organisation_id is None:
        raise Refused(
            _("Member organisation staff need an organisation."),
            field="organisation_id",
        )

    change = _change_role(user, name, actor_id)
    action = (
        "admin.role_granted"
        if change.status == ROLE_CHANGE_APPLIED
        else "admin.role_grant_requested"
    )
    audit.record(
        action, "user", user.id, actor_id=actor_id, role=name, change_id=change.id
    )
    logger.info("Role %r for user %r: %s by %s", name, user.id, action, actor_id)
    return change


def _pending(user_id: int, name: str) -> RoleChange | None:
    return db.session.scalar(
        select(RoleChange)
        .join(Role, Role.id == RoleChange.role_id)
        .where(
            RoleChange.user_id == user_id,
            RoleChange.status == ROLE_CHANGE_PENDING,
            RoleChange.action == "grant",
            Role.name == name,
        )
    )


def revoke_role(user: User, name: str, actor_id: int) -> RoleChange:
    """Take role ``name`` from ``user`` at once (recorded as an applied change).

    Raises ``Refused`` for an unknown role, a role not held, or the admin role of
    the last active administrator.
    """
    _check_roles([name])
    if name not in user.role_names:
        raise Refused(_("This person does not hold this role."))
    if name == "admin" and _active_admins(excluding=user.id) == 0:
        raise Refused(
            _("The last active administrator cannot lose the administrator role.")
        )

    role = _role(name)
    user.roles.remove(role)
    change = RoleChange(
        user_id=user.id,
        role_id=role.id,
        role=role,
        action="revoke",
        requested_by_id=actor_id,
        requested_at=utcnow(),
    )
    _decide(change, ROLE_CHANGE_APPLIED, actor_id)
    db.session.add(change)
    db.session.flush()
    audit.record(
        "admin.role_revoked",
        "user",
        user.id,
        actor_id=actor_id,
        role=name,
        change_id=change.id,
    )
    logger.info("Role %r of user %r revoked by %s", name, user.id, actor_id)
    return change


def _active_admins(excluding: int) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.active.is_(True),
            User.id != excluding,
            User.roles.any(Role.name == "admin"),
        )
    )


def confirm_role_change(change: RoleChange, actor_id: int) -> None:
    """Apply a pending grant; only an administrator who did not request it may.

    Raises ``Refused`` for one's own request or a change no longer pending.
    """
    if change.status != ROLE_CHANGE_PENDING:
        raise Refused(_("This change has been decided already."))
    if change.requested_by_id == actor_id:
        logger.warning("Administrator %s tried to confirm their own request", actor_id)
        raise Refused(
            _("Another administrator must confirm a change you asked for yourself.")
        )

    _decide(change, ROLE_CHANGE_APPLIED, actor_id)
    if change.role not in change.user.roles:
        change.user.roles.append(change.role)
    audit.record(
        "admin.role_grant_confirmed",
        "user",
        change.user_id,
        actor_id=actor_id,
        role=change.role.name,
        change_id=change.id,
    )
    db.session.flush()
    logger.info("Role change %r confirmed by %s", change.id, actor_id)


def cancel_role_change(change: RoleChange, actor_id: int) -> None:
    """Cancel a pending grant (any administrator, the requester too)."""
    if change.status != ROLE_CHANGE_PENDING:
        raise Refused(_("This change has been decided already."))

    _decide(change, ROLE_CHANGE_CANCELLED, actor_id)
    audit.record(
        "admin.role_grant_cancelled",
        "user",
        change.user_id,
        actor_id=actor_id,
        role=change.role.name,
        change_id=change.id,
    )
    db.session.flush()
    logger.info("Role change %r cancelled by %s", change.id, actor_id)


def pending_count() -> int:
    return db.session.scalar(
        select(func.count(RoleChange.id)).where(
            RoleChange.status == ROLE_CHANGE_PENDING
        )
    )


def pending_role_changes(limit: int = PENDING_LIMIT) -> list[RoleChange]:
    """Grants waiting for a second administrator, oldest first."""
    return list(
        db.session.scalars(
            select(RoleChange)
            .where(RoleChange.status == ROLE_CHANGE_PENDING)
            .order_by(RoleChange.id)
            .limit(limit)
        )
    )


def role_changes_of(user_id: int, limit: int = 50) -> list[RoleChange]:
    """The newest role changes of ``user_id``."""
    return list(
        db.session.scalars(
            select(RoleChange)
            .where(RoleChange.user_id == user_id)
            .order_by(RoleChange.id.desc())
            .limit(limit)
        )
    )


# --- Two-factor ------------------------------------------------------------------


def reset_two_factor(user: User, note: str, actor_id: int) -> int:
    """Switch off ``user``'s two-factor after their identity was checked.

    Clears the method, secret, last code and recovery codes and ends every
    session; staff must set it up again at their next sign-in. ``note`` (how the
    identity was checked) is kept in the audit record. Returns the sessions ended.
    Raises ``Refused`` for one's own account.
    """
    if user.id == actor_id:
        raise Refused(
            _("Another administrator must reset your own two-factor authentication.")
        )

    was_on = bool(user.tf_primary_method)
    user.tf_primary_method = None
    user.tf_totp_secret = None
    user.tf_totp_last_counter = None
    user.mf_recovery_codes = None
    ended = sessions.end_sessions(user.id)
    audit.record(
        "admin.two_factor_reset",
        "user",
        user.id,
        actor_id=actor_id,
        note=note,
        was_on=was_on,
        sessions=ended,
    )
    db.session.flush()
    logger.info("Two-factor of user %r reset by administrator %s", user.id, actor_id)
    return ended


# --- The audit log ---------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; empty values filter nothing."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight_utc(day: date) -> datetime:
    """The start of ``day`` in Vietnam time, as the naive UTC the database holds."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start.astimezone(UTC).replace(tzinfo=None)


def _audit_conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.action:
        pattern = _like_pattern(filters.action)[1:]  # starts with, not contains
        conditions.append(AuditEvent.action.like(pattern, escape="\\"))
    actor = filters.actor.strip()
    if actor.isascii() and actor.isdigit():
        conditions.append(AuditEvent.actor_id == min(int(actor), MAX_ID + 1))
    elif actor:
        by_email = select(User.id).where(User.email == normalise_email(actor))
        conditions.append(AuditEvent.actor_id.in_(by_email.scalar_subquery()))
    if filters.object_type:
        conditions.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        conditions.append(AuditEvent.object_id == filters.object_id)
    if filters.date_from:
        start = _local_midnight_utc(filters.date_from)
        conditions.append(AuditEvent.created_at >= start)
    if filters.date_to:
        end = _local_midnight_utc(filters.date_to + timedelta(days=1))
        conditions.append(AuditEvent.created_at < end)
    return conditions


def local_today() -> date:
    """Today's date in Vietnam time."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def record_audit_export(filters: AuditFilters, actor_id: int) -> None:
    """Record that ``actor_id`` exported the audit log with ``filters``; flushes."""
    wanted = {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in vars(filters).items()
        if value not in (None, "")
    }
    audit.record(
        "admin.audit_exported", "audit_event", None, actor_id=actor_id, filters=wanted
    )
    logger.info("Audit log exported by administrator %s", actor_id)


def audit_page(
    filters: AuditFilters, before: int | None = None, limit: int = AUDIT_PAGE_SIZE
) -> tuple[list[tuple[AuditEvent, str | None]], int | None]:
    """One page of audit entries (with the actor's email), newest first.

    Keyset pagination: only ids below ``before``. Returns the entries and the
    ``before`` of the next page, or None on the last.
    """
    rows = _audit_rows(filters, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1][0].id if more else None


def _audit_rows(
    filters: AuditFilters, before: int | None, limit: int
) -> list[tuple[AuditEvent, str | None]]:
    statement = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*_audit_conditions(filters))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if before is not None:
        statement = statement.where(AuditEvent.id < before)
    return [(event, email) for event, email in db.session.execute(statement)]


# Spreadsheets run a cell starting with these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def audit_csv(filters: AuditFilters, batch_size: int = CSV_BATCH_SIZE) -> Iterator[str]:
    """The audit entries matching ``filters`` as CSV text, newest first, in pieces.

    Starts with a byte-order mark so spreadsheets read UTF-8 (Vietnamese); times
    are in Vietnam time. Reads ``batch_size`` rows per query (keyset), so
    memory does not grow with the log. Cells that a spreadsheet would run as a
    formula get a leading apostrophe.
    """
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(
        [
            _("Time (%(zone)s)", zone=zone.key),
            _("Actor"),
            _("Action"),
            _("Object"),
            _("IP address"),
            _("Request id"),
            _("Data"),
        ]
    )
    yield "\ufeff" + flush()

    before = None
    while True:
        rows = _audit_rows(filters, before, batch_size)
        for entry, email in rows:
            moment = entry.created_at.replace(tzinfo=UTC).astimezone(zone)
            target = entry.object_type
            if entry.object_id is not None:
                target = f"{target}:{entry.object_id}"
            writer.writerow(
                [
                    _cell(moment.strftime("%Y-%m-%d %H:%M:%S")),
                    _cell(email or entry.actor_id),
                    _cell(entry.action),
                    _cell(target),
                    _cell(entry.ip),
                    _cell(entry.request_id),
                    _cell(json.dumps(entry.data or {}, ensure_ascii=False)),
                ]
            )
        if rows:
            yield flush()
        if len(rows) < batch_size:
            return
        before = rows[-1][0].id
