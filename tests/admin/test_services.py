"""Administration rules, called without a request."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from copn.admin import services
from copn.admin.services import AuditFilters, DuplicateEmail, Refused
from copn.auth.models import RoleChange, User
from copn.core import audit
from copn.core.clock import utcnow
from copn.core.models import AuditEvent, ServerSession
from copn.extensions import db
from copn.notify.models import OutboxMessage
from tests.admin.conftest import audit_events, fresh
from tests.network.test_services import add_organisation  # noqa: F401 - a fixture


def _session_of(user: User) -> ServerSession:
    now = utcnow()
    row = ServerSession(
        sid_hash=f"{user.id:064d}",
        user_id=user.id,
        idle_seconds=600,
        expires_at=now + timedelta(hours=1),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _sessions(user: User) -> int:
    return db.session.scalar(
        select(func.count(ServerSession.id)).where(ServerSession.user_id == user.id)
    )


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


# --- Creating accounts -----------------------------------------------------------


def test_create_account_grants_roles_and_queues_a_password_link(make_user):
    """A new account is confirmed, has no password, and its mail holds a reset link."""
    admin = make_user("admin")

    user, changes = services.create_account(
        "Nguyễn Văn An", " An.Nguyen@Example.org ", ["volunteer"], None, "vi", admin.id
    )
    db.session.commit()

    assert user.email == "an.nguyen@example.org"
    assert user.password is None
    assert user.confirmed_at is not None
    assert user.locale == "vi"
    assert user.role_names == {"volunteer"}
    assert [(c.action, c.status, c.requested_by_id) for c in changes] == [
        ("grant", "applied", admin.id)
    ]
    message = db.session.scalar(select(OutboxMessage))
    assert message.recipient == "an.nguyen@example.org"
    assert message.template == "admin/account_created"
    assert message.locale == "vi"
    assert message.context["reset_link"].startswith(
        "http://copn.test/auth/reset-password/"
    )
    [event] = audit_events("admin.user_created")
    assert (event.actor_id, event.object_id) == (admin.id, user.id)
    assert event.data["roles"] == ["volunteer"]


def test_create_account_only_requests_coordinator_and_admin(make_user):
    """Roles that need a second administrator are pending, not granted, at creation."""
    admin = make_user("admin")

    user, changes = services.create_account(
        "Lê Thị Bình",
        "binh@example.org",
        ["expert", "coordinator"],
        None,
        "en",
        admin.id,
    )

    assert user.role_names == {"expert"}
    assert {c.role.name: c.status for c in changes} == {
        "expert": "applied",
        "coordinator": "pending",
    }


def test_create_account_refuses_a_known_address(make_user):
    """An address in use (in any case) is refused and nothing is created."""
    admin = make_user("admin")
    make_user("volunteer", email="taken@example.org")
    before = _users()

    with pytest.raises(DuplicateEmail) as refused:
        services.create_account(
            "Ai Đó", "TAKEN@example.org", ["volunteer"], None, "vi", admin.id
        )

    assert refused.value.field == "email"
    db.session.rollback()
    assert _users() == before
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_member_staff_need_an_organisation(make_user, add_organisation):  # noqa: F811
    """Member staff without an organisation, or an organisation for a volunteer,
    are refused; member staff with one are created."""
    admin = make_user("admin")
    organisation = add_organisation("Cục Trẻ em", "Department of Children")

    with pytest.raises(Refused) as missing:
        services.create_account(
            "Phạm Hà", "ha@example.org", ["member_staff"], None, "vi", admin.id
        )
    with pytest.raises(Refused) as misplaced:
        services.create_account(
            "Phạm Hà", "ha@example.org", ["volunteer"], organisation.id, "vi", admin.id
        )
    user, _ = services.create_account(
        "Phạm Hà", "ha@example.org", ["member_staff"], organisation.id, "vi", admin.id
    )

    assert missing.value.field == misplaced.value.field == "organisation_id"
    assert user.organisation_id == organisation.id


# --- Suspending ------------------------------------------------------------------


def test_suspend_ends_every_session_and_is_recorded(make_user):
    """Suspension switches the account off, deletes its sessions and is audited."""
    admin = make_user("admin")
    person = make_user("volunteer")
    _session_of(person)

    ended = services.suspend(person, admin.id)
    db.session.commit()

    person = fresh(person)
    assert ended == 1
    assert person.active is False
    assert person.suspended_at is not None
    assert _sessions(person) == 0
    [event] = audit_events("admin.user_suspended")
    assert (event.actor_id, event.object_id, event.data) == (
        admin.id,
        person.id,
        {"sessions": 1},
    )


def test_an_admin_cannot_suspend_themselves(make_user):
    """Suspending one's own account is refused and changes nothing."""
    admin = make_user("admin")

    with pytest.raises(Refused):
        services.suspend(admin, admin.id)

    assert fresh(admin).active is True
    assert audit_events("admin.user_suspended") == []


def test_suspend_twice_and_reactivate(make_user):
    """A suspended account cannot be suspended again; reactivation restores it."""
    admin = make_user("admin")
    person = make_user("volunteer")
    services.suspend(person, admin.id)

    with pytest.raises(Refused):
        services.suspend(person, admin.id)
    services.reactivate(person, admin.id)
    db.session.commit()

    assert fresh(person).active is True
    assert fresh(person).suspended_at is None
    assert len(audit_events("admin.user_reactivated")) == 1
    with pytest.raises(Refused):
        services.reactivate(person, admin.id)


# --- Roles -----------------------------------------------------------------------


def test_an_ordinary_grant_applies_at_once(make_user):
    """Granting expert gives the role now and records an applied change."""
    admin = make_user("admin")
    person = make_user("volunteer")

    change = services.grant_role(person, "expert", admin.id)
    db.session.commit()

    assert "expert" in fresh(person).role_names
    assert (change.action, change.status, change.decided_by_id) == (
        "grant",
        "applied",
        admin.id,
    )
    assert audit_events("admin.role_granted")[0].data["role"] == "expert"


def test_a_coordinator_grant_waits_for_a_second_admin(make_user):
    """The requester cannot confirm; another administrator can, and then it applies."""
    first, second = make_user("admin"), make_user("admin")
    person = make_user("volunteer")

    change = services.grant_role(person, "coordinator", first.id)
    db.session.commit()
    assert change.status == "pending"
    assert "coordinator" not in fresh(person).role_names
    with pytest.raises(Refused):
        services.confirm_role_change(change, first.id)
    assert change.status == "pending"

    services.confirm_role_change(change, second.id)
    db.session.commit()

    assert "coordinator" in fresh(person).role_names
    change = db.session.get(RoleChange, change.id)
    assert (change.status, change.decided_by_id) == ("applied", second.id)
    assert [e.actor_id for e in audit_events("admin.role_grant_confirmed")] == [
        second.id
    ]


def test_a_pending_grant_can_be_cancelled_and_not_asked_twice(make_user):
    """A second request for the same role is refused; a cancelled one grants nothing."""
    admin = make_user("admin")
    person = make_user("volunteer")
    change = services.grant_role(person, "admin", admin.id)

    with pytest.raises(Refused):
        services.grant_role(person, "admin", admin.id)
    services.cancel_role_change(change, admin.id)
    db.session.commit()

    assert change.status == "cancelled"
    assert "admin" not in fresh(person).role_names
    with pytest.raises(Refused):
        services.confirm_role_change(change, make_user("admin").id)
    assert services.pending_count() == 0


def test_revoking_applies_at_once(make_user):
    """A revocation takes the role now and is recorded as an applied change."""
    admin = make_user("admin")
    person = make_user("volunteer", "expert")

    change = services.revoke_role(person, "expert", admin.id)
    db.session.commit()

    assert fresh(person).role_names == {"volunteer"}
    assert (change.action, change.status) == ("revoke", "applied")
    with pytest.raises(Refused):
        services.revoke_role(person, "expert", admin.id)


def test_the_last_admin_keeps_the_admin_role(make_user):
    """The only active administrator cannot revoke their own admin role; with a
    second administrator they can."""
    admin = make_user("admin")

    with pytest.raises(Refused):
        services.revoke_role(admin, "admin", admin.id)
    make_user("admin")
    services.revoke_role(admin, "admin", admin.id)

    assert "admin" not in admin.role_names


@pytest.mark.parametrize("role", ["superuser", "", "Admin"])
def test_unknown_roles_are_refused(make_user, role):
    """A role name outside ROLE_NAMES is refused for grants and revocations."""
    admin = make_user("admin")
    person = make_user("volunteer")

    with pytest.raises(Refused):
        services.grant_role(person, role, admin.id)
    with pytest.raises(Refused):
        services.revoke_role(person, role, admin.id)


# --- Two-factor ------------------------------------------------------------------


def test_reset_two_factor_clears_it_and_signs_out(make_user):
    """The secret, last code and recovery codes go; sessions end; the note is kept."""
    admin = make_user("admin")
    person = make_user("coordinator")
    person.mf_recovery_codes = ["hashed"]
    person.tf_totp_last_counter = 12
    db.session.commit()
    _session_of(person)

    services.reset_two_factor(person, "Gọi video, quản lý xác nhận", admin.id)
    db.session.commit()

    person = fresh(person)
    assert person.tf_primary_method is None
    assert person.tf_totp_secret is None
    assert person.tf_totp_last_counter is None
    assert person.mf_recovery_codes is None
    assert _sessions(person) == 0
    [event] = audit_events("admin.two_factor_reset")
    assert event.data["note"] == "Gọi video, quản lý xác nhận"
    assert event.data["was_on"] is True


def test_an_admin_cannot_reset_their_own_two_factor(make_user):
    """Resetting one's own two-factor is refused."""
    admin = make_user("admin")

    with pytest.raises(Refused):
        services.reset_two_factor(admin, "tự kiểm tra bản thân", admin.id)

    assert fresh(admin).tf_primary_method == "authenticator"


# --- Searching accounts ----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["nguyen", "NGUYỄN", unicodedata.normalize("NFD", "nguyễn"), "ĐẶNG", "dang thi"],
)
def test_search_ignores_case_and_accents(make_user, query):
    """Names match without accents, in any case and keyboard form."""
    wanted = make_user("volunteer", name="Đặng Thị Nguyễn")
    make_user("volunteer", name="Trần Văn Bình")

    found, _ = services.list_users(query)

    assert [user.id for user in found] == [wanted.id]


def test_search_matches_email_and_percent_literally(make_user):
    """An email fragment finds its account; "%" and "_" match only themselves."""
    wanted = make_user("volunteer", email="lan_tran@example.org")
    make_user("volunteer", email="lanxtran@example.org")

    assert [u.id for u in services.list_users("lan_tran")[0]] == [wanted.id]
    assert services.list_users("%")[0] == []


def test_filters_by_role_and_status(make_user):
    """Role and status filters narrow the list; statuses do not overlap."""
    admin = make_user("admin")
    volunteer = make_user("volunteer")
    suspended = make_user("volunteer")
    services.suspend(suspended, admin.id)
    unconfirmed = make_user("expert", confirmed=False)
    db.session.commit()

    def ids(**filters):
        return {user.id for user in services.list_users(**filters)[0]}

    assert ids(role="volunteer") == {volunteer.id, suspended.id}
    assert ids(status="suspended") == {suspended.id}
    assert ids(status="unconfirmed") == {unconfirmed.id}
    assert ids(status="active") == {admin.id, volunteer.id}
    assert ids(role="volunteer", status="active") == {volunteer.id}


def test_keyset_pages_cover_everyone_once(add_people):
    """Following ``before`` from page to page lists every account once, newest first."""
    people = add_people(7)

    seen, before = [], None
    while True:
        page, before = services.list_users(before=before, limit=3)
        seen += [user.id for user in page]
        if before is None:
            break

    assert seen == [person.id for person in reversed(people)]


# --- The audit log ---------------------------------------------------------------


def _event(action, actor=None, object_id=None, at=None, **data):
    event = audit.record(action, "user", object_id, actor_id=actor, **data)
    if at is not None:
        event.created_at = at
    db.session.commit()
    return event


def test_audit_filters(make_user):
    """Entries can be narrowed by action prefix, actor id or email, object and day."""
    admin = make_user("admin", email="boss@example.org")
    other = make_user("admin")
    # 2026-03-01 23:30 in Vietnam is 16:30 UTC the same day.
    late = _event("admin.user_suspended", admin.id, 5, datetime(2026, 3, 1, 16, 30))
    # 2026-03-02 00:30 in Vietnam is 17:30 UTC on 1 March.
    early = _event("admin.role_granted", other.id, 6, datetime(2026, 3, 1, 17, 30))
    _event("auth.signed_in", admin.id, admin.id, datetime(2026, 3, 5))

    def ids(**filters):
        rows, _ = services.audit_page(AuditFilters(**filters))
        return [event.id for event, _ in rows]

    assert ids(action="admin.") == [early.id, late.id]
    assert ids(action="admin.user") == [late.id]
    assert ids(action="admin.role_granted", actor=str(other.id)) == [early.id]
    assert ids(actor="BOSS@example.org", object_id=5) == [late.id]
    assert ids(actor="nobody@example.org") == []
    assert ids(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)) == [late.id]
    assert ids(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)) == [early.id]
    assert ids(action="admin%") == []


def test_audit_pages_follow_before(make_user):
    """``before`` gives the next older page until the oldest entry."""
    events = [_event("test.event", object_id=n) for n in range(5)]

    first, before = services.audit_page(AuditFilters(action="test."), limit=2)
    second, before2 = services.audit_page(
        AuditFilters(action="test."), before=before, limit=2
    )
    third, end = services.audit_page(
        AuditFilters(action="test."), before=before2, limit=2
    )

    pages = [[e.id for e, _ in page] for page in (first, second, third)]
    assert pages == [
        [events[4].id, events[3].id],
        [events[2].id, events[1].id],
        [events[0].id],
    ]
    assert end is None


def test_audit_csv_is_complete_and_safe_for_spreadsheets(make_user):
    """The CSV starts with a BOM, has Vietnam times, all batches, and no formulas."""
    admin = make_user("admin", email="boss@example.org")
    for n in range(5):
        _event("test.event", admin.id, n, datetime(2026, 3, 1, 17, 0), note="Đã gọi")
    audit.record("test.formula", "=cmd|calc", None)
    db.session.commit()

    text = "".join(services.audit_csv(AuditFilters(action="test."), batch_size=2))

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    # Column names in the reader's language: Vietnamese by default.
    assert rows[0][0] == "Thời gian (Asia/Ho_Chi_Minh)"
    assert len(rows[0]) == 7
    assert len(rows) == 1 + 6
    assert rows[1][2:4] == ["test.formula", "'=cmd|calc"]
    assert rows[-1] == [
        "2026-03-02 00:00:00",
        "boss@example.org",
        "test.event",
        "user:0",
        "",
        "",
        '{"note": "Đã gọi"}',
    ]


def test_audit_export_is_recorded(make_user):
    """Exporting the log leaves an entry saying who exported what."""
    admin = make_user("admin")

    services.record_audit_export(
        AuditFilters(action="auth.", date_from=date(2026, 1, 1)), admin.id
    )

    [event] = audit_events()
    assert event.action == "admin.audit_exported"
    assert event.data == {"filters": {"action": "auth.", "date_from": "2026-01-01"}}
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1
