"""Account rules that Flask-Security does not cover.

Creating accounts by command, and what a person can do with their own account:
correct their name and language, read its activity and download their data
(Personal Data Protection Law 91/2025/QH15).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import hash_password
from sqlalchemy import ColumnElement, and_, or_, select

from copn.auth.models import Consent, Role, RoleChange, User
from copn.core import audit
from copn.core.clock import utcnow
from copn.core.database import MAX_ID
from copn.core.models import AuditEvent, ServerSession
from copn.extensions import db
from copn.network.models import Organisation
from copn.notify.models import OutboxMessage

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


# What the account page and the activity list call the roles, consents and actions.
ROLE_LABELS = {
    "volunteer": _l("Volunteer"),
    "trainer": _l("Trainer"),
    "expert": _l("Expert"),
    "member_staff": _l("Member organisation staff"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}
CONSENT_LABELS = {
    "privacy_notice": _l("Privacy notice"),
    "code_of_conduct": _l("Code of conduct"),
}
ACTION_LABELS = {
    "auth.signed_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Failed sign-in attempt"),
    "auth.signed_out": _l("Signed out"),
    "auth.password_changed": _l("Password changed"),
    "auth.two_factor_changed": _l("Two-factor authentication changed"),
    "auth.registered": _l("Account created"),
    "auth.email_confirmed": _l("Email address confirmed"),
    "auth.sessions_ended": _l("Signed out everywhere else"),
    "account.updated": _l("Account details changed"),
    "account.data_exported": _l("Your data downloaded"),
    "admin.user_created": _l("Account created by an administrator"),
    "admin.user_suspended": _l("Account suspended"),
    "admin.user_reactivated": _l("Account reactivated"),
    "admin.role_granted": _l("Role granted"),
    "admin.role_grant_requested": _l("Role requested, awaiting confirmation"),
    "admin.role_grant_confirmed": _l("Role grant confirmed"),
    "admin.role_grant_cancelled": _l("Role request cancelled"),
    "admin.role_revoked": _l("Role revoked"),
    "admin.two_factor_reset": _l("Two-factor authentication reset"),
    "admin.audit_exported": _l("Audit log exported"),
}

# Entries on one page of "Activity on your account".
ACTIVITY_PAGE_SIZE = 25


def role_label(name: str) -> str:
    return str(ROLE_LABELS.get(name, name))


def consent_label(purpose: str) -> str:
    return str(CONSENT_LABELS.get(purpose, purpose))


def action_label(action: str) -> str:
    """The human label of an audit action, or a generic one naming the action."""
    label = ACTION_LABELS.get(action)
    if label is None:
        return _("Other activity (%(action)s)", action=action)
    return str(label)


def update_account(user: User, name: str, locale: str) -> list[str]:
    """Set ``user``'s name and language; returns the fields that changed.

    ``name`` must already be validated (NFC, no hidden characters). Records
    ``account.updated`` with the names of the changed fields, never their values;
    flushes, does not commit. Nothing is recorded when nothing changed.
    """
    changed = []
    if user.name != name:
        user.name = name
        changed.append("name")
    if user.locale != locale:
        user.locale = locale
        changed.append("locale")
    if changed:
        audit.record(
            "account.updated", "user", user.id, actor_id=user.id, fields=changed
        )
        logger.info("Account %r updated by its owner (%s)", user.id, ",".join(changed))
    return changed


def consents(user_id: int) -> list[Consent]:
    """The consents ``user_id`` gave, newest first, withdrawn ones included."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.user_id == user_id)
            .order_by(Consent.given_at.desc(), Consent.id.desc())
        )
    )


def organisation_of(user: User) -> Organisation | None:
    if user.organisation_id is None:
        return None
    return db.session.get(Organisation, user.organisation_id)


def _about(user_id: int) -> ColumnElement[bool]:
    """Audit entries about ``user_id``'s account or done by them."""
    return or_(
        and_(AuditEvent.object_type == "user", AuditEvent.object_id == user_id),
        AuditEvent.actor_id == user_id,
    )


def activity(
    user_id: int, before: int | None = None, limit: int = ACTIVITY_PAGE_SIZE
) -> tuple[list[AuditEvent], bool]:
    """One page of the audit entries about or by ``user_id``, newest first.

    Keyset pagination: only entries with an id below ``before``. Returns the page
    and whether older entries remain.
    """
    query = select(AuditEvent).where(_about(user_id))
    # Ids are 32-bit integers: a larger ``before`` (PostgreSQL would refuse it)
    # means every entry, as no ``before`` does.
    if before is not None and before <= MAX_ID:
        query = query.where(AuditEvent.id < before)
    query = query.order_by(AuditEvent.id.desc()).limit(limit + 1)
    events = list(db.session.scalars(query))
    return events[:limit], len(events) > limit


def shows_address(event: AuditEvent, user_id: int) -> bool:
    """Whether ``user_id`` may see the address recorded with ``event``.

    The address of a request the person made, or of a failed sign-in to their
    account, is theirs to see; the address of someone else acting on their
    account (an administrator) is that person's data.
    """
    return event.actor_id in (user_id, None)


def personal_data(user: User) -> dict[str, Any]:
    """Everything COPN holds about ``user``, for the person to download (PDPL).

    Secrets are left out: the password hash, the two-factor secret, the recovery
    codes and the session identity; the file says whether two-factor is on.
    Times are in Vietnam time with their UTC offset.
    """
    organisation = organisation_of(user)
    role_changes = db.session.scalars(
        select(RoleChange).where(RoleChange.user_id == user.id).order_by(RoleChange.id)
    )
    events = db.session.scalars(
        select(AuditEvent).where(_about(user.id)).order_by(AuditEvent.id)
    )
    emails = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.id)
    )
    return {
        "about": {
            "exported_at": _iso(utcnow()),
            "note": _(
                "Your password, two-factor secret and recovery codes are not in "
                "this file: COPN keeps them in a form nobody can read back."
            ),
        },
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "language": user.locale,
            "active": user.active,
            "created_at": _iso(user.created_at),
            "confirmed_at": _iso(user.confirmed_at),
            "suspended_at": _iso(user.suspended_at),
            "last_sign_in_at": _iso(user.last_login_at),
            "last_sign_in_address": user.last_login_ip,
            "current_sign_in_at": _iso(user.current_login_at),
            "current_sign_in_address": user.current_login_ip,
            "sign_in_count": user.login_count,
            "two_factor": "on" if user.tf_primary_method else "off",
            "two_factor_method": user.tf_primary_method,
        },
        "roles": sorted(user.role_names),
        "organisation": {
            "id": organisation.id,
            "name_vi": organisation.name_vi,
            "name_en": organisation.name_en,
            "short_name": organisation.short_name,
        }
        if organisation
        else None,
        "consents": [
            {
                "purpose": consent.purpose,
                "version": consent.version,
                "given_at": _iso(consent.given_at),
                "withdrawn_at": _iso(consent.withdrawn_at),
            }
            for consent in reversed(consents(user.id))
        ],
        # Who asked for or decided a change is someone else's data: left out.
        "role_changes": [
            {
                "role": change.role.name,
                "action": change.action,
                "status": change.status,
                "requested_at": _iso(change.requested_at),
                "decided_at": _iso(change.decided_at),
            }
            for change in role_changes
        ],
        "sessions": [
            {
                "created_at": _iso(session.created_at),
                "last_seen_at": _iso(session.last_seen_at),
                "expires_at": _iso(session.expires_at),
                "browser": session.user_agent,
                "address": session.ip,
            }
            for session in reversed(active_sessions(user.id))
        ],
        "activity": [
            {
                "id": event.id,
                "at": _iso(event.created_at),
                "action": event.action,
                "description": action_label(event.action),
                "by_you": event.actor_id == user.id,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "address": event.ip if shows_address(event, user.id) else None,
                "details": event.data or {},
            }
            for event in events
        ],
        # The messages' text and links are not kept beyond sending; links expire.
        "emails": [
            {
                "created_at": _iso(message.created_at),
                "template": message.template,
                "language": message.locale,
                "status": message.status,
                "sent_at": _iso(message.sent_at),
            }
            for message in emails
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time in Vietnam time, ISO 8601 with its offset."""
    if moment is None:
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat()


def personal_data_rows(data: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``personal_data`` flattened to (section, field, value) rows for a CSV file.

    A list item's field starts with its number ("2.purpose"); nested fields are
    joined with dots; an empty value is an empty cell.
    """
    for section, content in data.items():
        for field, value in _flatten(content, ""):
            yield section, field, value


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for number, item in enumerate(value, start=1):
            yield from _flatten(item, f"{path}.{number}" if path else str(number))
    elif value is None:
        yield path, ""
    elif isinstance(value, bool):
        yield path, "true" if value else "false"
    else:
        yield path, str(value)


def record_export(user_id: int, kind: str) -> None:
    """Record that ``user_id`` downloaded their data as ``kind``; flushes."""
    audit.record("account.data_exported", "user", user_id, actor_id=user_id, kind=kind)
    logger.info("User %r downloaded their data (%s)", user_id, kind)
