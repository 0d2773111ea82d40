"""Administration pages: who may use them, what they show and what they change."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import event, func, select

from copn.auth.models import RoleChange, User
from copn.core import audit
from copn.core.models import AuditEvent
from copn.extensions import db
from copn.notify.models import OutboxMessage
from tests.admin.conftest import HTMX, audit_events, fresh, mail_text, page_text
from tests.conftest import TEST_PASSWORD
from tests.network.test_services import add_organisation  # noqa: F401 - a fixture

NEW_PASSWORD = "con mèo nhỏ ăn cá ba lần mỗi ngày"


def _listed(response) -> list[int]:
    """The ids of the accounts listed, in order."""
    found = re.findall(r'data-user-id="(\d+)"', response.get_data(as_text=True))
    return [int(n) for n in found]


def _entries(response) -> list[int]:
    found = re.findall(r'data-event-id="(\d+)"', response.get_data(as_text=True))
    return [int(n) for n in found]


def _sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(
        "/auth/sign-in"
    )


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


# --- Access ----------------------------------------------------------------------


def test_only_admins_may_suspend(new_browser, make_user, sign_in):
    """A coordinator posting a suspension gets 403 and the account stays active."""
    person = make_user("volunteer")
    coordinator = sign_in(make_user("coordinator"), on=new_browser())

    response = coordinator.post(f"/admin/users/{person.id}/suspend")

    assert response.status_code == 403
    assert fresh(person).active is True
    assert audit_events("admin.user_suspended") == []


def test_visitors_are_sent_to_sign_in(new_browser):
    """Someone not signed in is sent to sign in, with the page to come back to."""
    response = new_browser().get("/admin/users?q=lan")

    assert _sent_to_sign_in(response)
    assert "next=/admin/users?q%3Dlan" in response.headers["Location"]


def test_only_reading_routes_exist_for_the_audit_log(site):
    """Nobody can edit or delete audit entries: the log's routes only read."""
    rules = [r for r in site.url_map.iter_rules() if r.rule.startswith("/admin/audit")]

    assert {r.rule for r in rules} == {"/admin/audit", "/admin/audit.csv"}
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_administration_is_in_the_navigation_of_admins_only(
    as_admin, new_browser, make_user, sign_in
):
    """Admins see "Administration" in the menu; coordinators do not."""
    coordinator = sign_in(make_user("coordinator"), on=new_browser())

    assert 'href="/admin/users"' in as_admin.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in coordinator.get("/").get_data(as_text=True)


# --- The accounts list -----------------------------------------------------------


def test_the_list_shows_roles_two_factor_and_last_sign_in(as_admin, admin, make_user):
    """Each account shows its roles, whether two-factor is on, and its last sign-in."""
    make_user("volunteer", "expert", name="Lê Văn Nam", two_factor=False)

    body = page_text(as_admin.get("/admin/users"))

    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Lê Văn Nam.*?</tr>", body, re.S).group()
    assert "Volunteer, Expert" in row
    assert "<td>Off</td>" in row
    assert "<td>Never</td>" in row
    admin_row = re.search(rf'data-user-id="{admin.id}".*?</tr>', body, re.S).group()
    assert "<td>On</td>" in admin_row
    assert "Never" not in admin_row


def test_search_works_without_javascript(as_admin, make_user):
    """A plain GET with ``q`` answers the full page with the matching accounts."""
    wanted = make_user("volunteer", name="Đặng Thị Nguyễn")
    make_user("volunteer", name="Trần Văn Bình")

    response = as_admin.get("/admin/users", query_string={"q": "dang nguyen"})

    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)
    assert _listed(response) == [wanted.id]
    assert 'hx-push-url="true"' in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_live_search_answers_a_fragment(as_admin, make_user):
    """An htmx request gets only the results, with the same filtering."""
    wanted = make_user("volunteer", email="lan.tran@example.org")
    make_user("volunteer")

    response = as_admin.get(
        "/admin/users", query_string={"q": "lan.tran"}, headers=HTMX
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="users"')
    assert "<html" not in body
    assert _listed(response) == [wanted.id]
    assert "HX-Request" in response.headers["Vary"]


def test_filters_by_role_and_status(as_admin, admin, make_user):
    """The role and status filters narrow the list."""
    expert = make_user("expert")
    unconfirmed = make_user("volunteer", confirmed=False)

    by_role = as_admin.get("/admin/users", query_string={"role": "expert"})
    by_status = as_admin.get("/admin/users", query_string={"status": "unconfirmed"})

    assert _listed(by_role) == [expert.id]
    assert _listed(by_status) == [unconfirmed.id]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"role": "superuser"}, "Please choose one of the roles listed."),
        ({"status": "gone"}, "Please choose one of the statuses listed."),
        ({"before": "abc"}, "Please enter a whole number from 1."),
        ({"before": "9" * 30}, "Please enter a whole number from 1."),
        ({"before": "0"}, "Please enter a whole number from 1."),
        ({"q": "x" * 101}, "Please use at most 100 characters."),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_bad_filters_answer_422_with_a_reason(as_admin, args, message, headers):
    """Tampered filters are refused with 422 and a message, never a server error."""
    response = as_admin.get("/admin/users", query_string=args, headers=headers)

    assert response.status_code == 422
    assert message in page_text(response)


def test_pages_follow_before_without_offset(as_admin, admin, add_people, site):
    """The "older" link continues after the last account shown; no OFFSET is used."""
    people = add_people(55)
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with site.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        first = as_admin.get("/admin/users")
        older = re.search(
            r'href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True)
        )
        second = as_admin.get(older.group(1).replace("&amp;", "&"))
    finally:
        event.remove(engine, "before_cursor_execute", keep)

    everyone = [person.id for person in reversed(people)] + [admin.id]
    assert _listed(first) + _listed(second) == everyone
    assert len(_listed(first)) == 50
    assert 'rel="next"' not in second.get_data(as_text=True)
    for statement, parameters in statements:
        # SQLite's dialect writes "OFFSET ?" with 0 after every LIMIT.
        if "OFFSET" in statement:
            assert list(parameters)[-1] == 0, statement


def test_the_number_of_queries_does_not_grow_with_the_accounts(
    as_admin, add_people, site
):
    """Listing 50 accounts takes as many queries as listing 5."""
    with site.app_context():
        engine = db.engine

    def queries() -> int:
        count = 0

        def counter(*args):
            nonlocal count
            count += 1

        as_admin.get("/admin/users")  # the session's periodic touch, if due
        event.listen(engine, "before_cursor_execute", counter)
        try:
            response = as_admin.get("/admin/users")
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        assert response.status_code == 200
        return count

    add_people(4, prefix="few")
    few = queries()
    add_people(45, prefix="many")
    many = queries()

    assert few == many


# --- Creating accounts -----------------------------------------------------------


def _new_account(**overrides):
    data = {
        "name": "Nguyễn Thị Mai",
        "email": "mai.nguyen@example.org",
        "roles": ["volunteer"],
        "organisation_id": "",
        "locale": "en",
    }
    data.update(overrides)
    return data


def test_the_new_account_form_lists_organisations(
    as_admin,
    add_organisation,  # noqa: F811
):
    """The form offers current member organisations and the roles."""
    add_organisation("Cục Trẻ em", "Department of Children")

    body = page_text(as_admin.get("/admin/users/new"))

    assert "Department of Children" in body
    assert 'value="member_staff"' in body


def test_a_created_account_gets_a_working_password_link(
    as_admin, admin, new_browser, run_jobs, mailbox
):
    """The person's mail arrives with a link that lets them set a password and sign
    in."""
    response = as_admin.post("/admin/users", data=_new_account())

    user = db.session.scalar(select(User).where(User.email == "mai.nguyen@example.org"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert user.password is None
    run_jobs()
    [message] = mailbox.to("mai.nguyen@example.org")
    assert mailbox.subjects() == ["Your COPN account is ready"]
    link = re.search(r"http://copn\.test(/auth/reset-password/\S+)", mail_text(message))

    person = new_browser()
    assert person.get(link.group(1)).status_code == 200
    reset = person.post(
        link.group(1), data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert reset.status_code == 302
    signed = person.post(
        "/auth/sign-in",
        data={"email": "mai.nguyen@example.org", "password": NEW_PASSWORD},
    )
    assert signed.status_code == 302
    assert person.get("/auth/account").status_code == 200
    [event] = audit_events("admin.user_created")
    assert (event.actor_id, event.object_id) == (admin.id, user.id)


def test_the_mail_is_in_vietnamese_unless_chosen(as_admin):
    """Without a language chosen, the account's mail is queued in Vietnamese."""
    data = _new_account()
    del data["locale"]

    as_admin.post("/admin/users", data=data)

    message = db.session.scalar(select(OutboxMessage))
    assert message.locale == "vi"
    assert message.template == "admin/account_created"


def test_a_known_address_is_refused_and_nothing_is_created(as_admin, make_user):
    """A duplicate address answers 422 with a clear message and keeps the form."""
    make_user("volunteer", email="mai.nguyen@example.org")
    users = _count(User)

    response = as_admin.post(
        "/admin/users", data=_new_account(email="Mai.Nguyen@example.org")
    )

    body = page_text(response)
    assert response.status_code == 422
    assert "An account with this email address exists already." in body
    assert 'value="Nguyễn Thị Mai"' in body
    assert _count(User) == users
    assert _count(OutboxMessage) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Please enter the person's full name."),
        ({"email": "not-an-address"}, "Please enter a valid email address."),
        ({"roles": []}, "Please choose at least one role."),
        ({"roles": ["volunteer", "root"]}, "Please choose one of the roles listed."),
        ({"organisation_id": "999999"}, "Please choose a current member organisation."),
        (
            {"roles": ["member_staff"]},
            "Member organisation staff need an organisation.",
        ),
        ({"locale": "fr"}, "Please choose one of the languages listed."),
        ({"name": "Mai\u200bNguyễn"}, "invisible or unusual characters"),
    ],
)
def test_bad_input_is_refused_keeping_what_was_typed(as_admin, overrides, message):
    """Each mistake answers 422 with its reason, the typed email kept, nothing made."""
    users = _count(User)

    response = as_admin.post("/admin/users", data=_new_account(**overrides))

    body = page_text(response)
    assert response.status_code == 422
    assert message in body
    if "email" not in overrides:
        assert 'value="mai.nguyen@example.org"' in body
    assert _count(User) == users


def test_coordinator_roles_at_creation_wait_for_confirmation(as_admin):
    """Creating an account as coordinator only asks for the role."""
    as_admin.post("/admin/users", data=_new_account(roles=["coordinator"]))

    user = db.session.scalar(select(User).where(User.email == "mai.nguyen@example.org"))
    assert user.role_names == set()
    assert [c.status for c in db.session.scalars(select(RoleChange))] == ["pending"]


# --- One account: suspension -----------------------------------------------------


def test_suspension_signs_the_person_out_at_once(
    as_admin, new_browser, make_user, sign_in
):
    """The suspended person's open browser is sent to sign in on its next request,
    and signing in again fails."""
    person = make_user("volunteer")
    their_browser = sign_in(person, on=new_browser())
    assert their_browser.get("/auth/account").status_code == 200

    response = as_admin.post(f"/admin/users/{person.id}/suspend")

    assert response.status_code == 303
    assert _sent_to_sign_in(their_browser.get("/auth/account"))
    again = new_browser()
    again.post("/auth/sign-in", data={"email": person.email, "password": TEST_PASSWORD})
    assert _sent_to_sign_in(again.get("/auth/account"))
    assert fresh(person).active is False


def test_reactivation_lets_the_person_sign_in(
    as_admin, new_browser, make_user, sign_in
):
    """After reactivation the person can sign in again."""
    person = make_user("volunteer")
    as_admin.post(f"/admin/users/{person.id}/suspend")

    response = as_admin.post(f"/admin/users/{person.id}/reactivate")

    assert response.status_code == 303
    signed = sign_in(fresh(person), on=new_browser())
    assert signed.get("/auth/account").status_code == 200


def test_an_admin_cannot_suspend_themselves(as_admin, admin):
    """Suspending one's own account is refused with a reason; nothing changes."""
    response = as_admin.post(f"/admin/users/{admin.id}/suspend")

    assert response.status_code == 409
    assert "You cannot suspend your own account." in page_text(response)
    assert fresh(admin).active is True
    assert as_admin.get("/admin/users").status_code == 200


# --- One account: roles ----------------------------------------------------------


def test_granting_admin_needs_a_different_admin(
    as_admin, admin, make_admin, make_user, new_browser, sign_in
):
    """The requester cannot confirm an admin grant; a second administrator can."""
    person = make_user("volunteer")
    second = sign_in(make_admin(), on=new_browser())

    requested = as_admin.post(
        f"/admin/users/{person.id}/roles/grant", data={"role": "admin"}
    )
    change = db.session.scalar(select(RoleChange).where(RoleChange.action == "grant"))

    assert requested.status_code == 303
    assert change.status == "pending"
    assert "admin" not in fresh(person).role_names
    listing = page_text(as_admin.get("/admin/users"))
    assert "1 role change waiting for confirmation" in listing
    page = page_text(as_admin.get("/admin/role-changes"))
    assert "You asked for this" in page
    assert f"/admin/role-changes/{change.id}/confirm" not in page

    own = as_admin.post(f"/admin/role-changes/{change.id}/confirm")
    assert own.status_code == 409
    assert "Another administrator must confirm" in page_text(own)
    assert "admin" not in fresh(person).role_names

    confirmed = second.post(f"/admin/role-changes/{change.id}/confirm")
    assert confirmed.status_code == 303
    assert "admin" in fresh(person).role_names
    db.session.expire_all()
    assert db.session.get(RoleChange, change.id).status == "applied"


def test_a_request_can_be_cancelled(as_admin, make_user):
    """Cancelling a pending grant leaves the person without the role."""
    person = make_user("volunteer")
    as_admin.post(f"/admin/users/{person.id}/roles/grant", data={"role": "coordinator"})
    change = db.session.scalar(select(RoleChange))

    response = as_admin.post(f"/admin/role-changes/{change.id}/cancel")

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(RoleChange, change.id).status == "cancelled"
    assert "coordinator" not in fresh(person).role_names
    assert "Nothing is waiting for confirmation." in page_text(
        as_admin.get("/admin/role-changes")
    )


def test_other_grants_and_revocations_apply_at_once(as_admin, make_user):
    """Granting expert and revoking volunteer take effect without confirmation."""
    person = make_user("volunteer")

    granted = as_admin.post(
        f"/admin/users/{person.id}/roles/grant", data={"role": "expert"}
    )
    revoked = as_admin.post(
        f"/admin/users/{person.id}/roles/revoke", data={"role": "volunteer"}
    )

    assert (granted.status_code, revoked.status_code) == (303, 303)
    assert fresh(person).role_names == {"expert"}
    statuses = [(c.action, c.status) for c in db.session.scalars(select(RoleChange))]
    assert sorted(statuses) == [("grant", "applied"), ("revoke", "applied")]


def test_granting_member_staff_sets_the_organisation(
    as_admin,
    make_user,
    add_organisation,  # noqa: F811
):
    """Member staff need an organisation: refused without, granted with one."""
    person = make_user("volunteer")
    organisation = add_organisation("Vụ Gia đình", "Department of Family")
    url = f"/admin/users/{person.id}/roles/grant"

    refused = as_admin.post(url, data={"role": "member_staff"})
    granted = as_admin.post(
        url, data={"role": "member_staff", "organisation_id": str(organisation.id)}
    )

    assert refused.status_code == 422
    assert "Member organisation staff need an organisation." in page_text(refused)
    assert granted.status_code == 303
    person = fresh(person)
    assert "member_staff" in person.role_names
    assert person.organisation_id == organisation.id


def test_the_last_admin_cannot_revoke_their_own_admin_role(as_admin, admin):
    """Revoking the only active administrator's admin role is refused."""
    response = as_admin.post(
        f"/admin/users/{admin.id}/roles/revoke", data={"role": "admin"}
    )

    assert response.status_code == 409
    assert "The last active administrator" in page_text(response)
    assert "admin" in fresh(admin).role_names


@pytest.mark.parametrize("action", ["grant", "revoke"])
@pytest.mark.parametrize("role", ["superuser", "", "ADMIN"])
def test_unknown_role_names_are_refused(as_admin, make_user, action, role):
    """A role name outside the list answers 422 with a clear message."""
    person = make_user("volunteer")

    response = as_admin.post(
        f"/admin/users/{person.id}/roles/{action}", data={"role": role}
    )

    assert response.status_code == 422
    assert "Please choose one of the roles listed." in page_text(response)
    assert fresh(person).role_names == {"volunteer"}


def test_a_held_role_cannot_be_granted_again(as_admin, make_user):
    """Granting a role the person holds is refused with a reason."""
    person = make_user("volunteer")

    response = as_admin.post(
        f"/admin/users/{person.id}/roles/grant", data={"role": "volunteer"}
    )

    assert response.status_code == 409
    assert "already holds this role" in page_text(response)


# --- One account: two-factor -----------------------------------------------------


def test_two_factor_reset_needs_a_note(as_admin, make_user):
    """Without saying how the identity was checked, nothing is reset."""
    person = make_user("coordinator")

    response = as_admin.post(f"/admin/users/{person.id}/two-factor/reset")

    assert response.status_code == 422
    assert "Please say how you checked" in page_text(response)
    assert fresh(person).tf_primary_method == "authenticator"


def test_two_factor_reset_forces_setup_at_next_sign_in(
    as_admin, admin, new_browser, make_user, sign_in
):
    """After a reset the person is signed out and must set up two-factor again."""
    person = make_user("coordinator")
    their_browser = sign_in(person, on=new_browser())
    note = "Gọi video, trưởng phòng xác nhận danh tính"

    response = as_admin.post(
        f"/admin/users/{person.id}/two-factor/reset", data={"note": note}
    )

    assert response.status_code == 303
    assert _sent_to_sign_in(their_browser.get("/auth/account"))
    person = fresh(person)
    assert (person.tf_primary_method, person.tf_totp_secret) == (None, None)
    [event] = audit_events("admin.two_factor_reset")
    assert (event.actor_id, event.data["note"]) == (admin.id, note)
    again = new_browser()
    again.post("/auth/sign-in", data={"email": person.email, "password": TEST_PASSWORD})
    assert again.get("/auth/account").headers["Location"] == "/auth/two-factor"


# --- Tampered ids ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/admin/users/999999"),
        ("GET", "/admin/users/99999999999999999999999"),
        ("POST", "/admin/users/999999/suspend"),
        ("POST", "/admin/users/99999999999999999999999/reactivate"),
        ("POST", "/admin/users/999999/roles/grant"),
        ("POST", "/admin/users/999999/two-factor/reset"),
        ("POST", "/admin/role-changes/999999/confirm"),
        ("POST", "/admin/role-changes/99999999999999999999999/cancel"),
    ],
)
def test_unknown_ids_answer_404(as_admin, method, url):
    """An id that is nobody's gives "not found", never a server error."""
    response = as_admin.open(url, method=method, data={"role": "expert"})

    assert response.status_code == 404


def test_the_account_page_has_csrf_tokens_in_every_form(as_admin, make_user):
    """Each action form on an account's page carries the CSRF token."""
    person = make_user("volunteer")

    body = as_admin.get(f"/admin/users/{person.id}").get_data(as_text=True)

    forms = re.findall(r'<form\b[^>]*method="post".*?</form>', body, re.S)
    assert len(forms) >= 5  # sign out, language, suspend, revoke, grant, reset
    assert all('name="csrf_token"' in form for form in forms)


# --- The audit log ---------------------------------------------------------------


def _record(action, actor_id=None, object_id=None, at=None, **data):
    entry = audit.record(action, "user", object_id, actor_id=actor_id, **data)
    if at:
        entry.created_at = at
    db.session.commit()
    return entry


def test_the_audit_log_is_newest_first_and_filtered(as_admin, admin):
    """Entries come newest first; a filter by action and actor narrows them."""
    old = _record("test.first", admin.id, 1)
    new = _record("test.second", admin.id, 2)
    _record("other.thing", None, 3)

    everything = as_admin.get("/admin/audit", query_string={"action": "test."})
    by_actor = as_admin.get(
        "/admin/audit", query_string={"actor": admin.email, "action": "test.second"}
    )

    assert _entries(everything) == [new.id, old.id]
    assert _entries(by_actor) == [new.id]
    assert "<html" in everything.get_data(as_text=True)


def test_the_audit_filter_answers_a_fragment_for_htmx(as_admin, admin):
    """htmx gets only the entries, and the page says it varies on HX-Request."""
    entry = _record("test.only", admin.id, 1)

    response = as_admin.get(
        "/admin/audit", query_string={"action": "test."}, headers=HTMX
    )

    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="audit"')
    assert _entries(response) == [entry.id]
    assert "HX-Request" in response.headers["Vary"]


def test_the_audit_log_pages_with_before(as_admin, admin):
    """The "older" link of a full page shows the next entries, without repeats."""
    entries = [_record("test.many", admin.id, n) for n in range(55)]

    first = as_admin.get("/admin/audit", query_string={"action": "test.many"})
    older = re.search(r'href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True))
    second = as_admin.get(older.group(1).replace("&amp;", "&"))

    assert "before=" in older.group(1)
    assert _entries(first) + _entries(second) == [e.id for e in reversed(entries)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"date_from": "03/01/2026"}, "Please enter a date as year-month-day"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "must not be before"),
        ({"object_id": "-1"}, "Please enter a whole number from 1."),
        ({"before": "x"}, "Please enter a whole number from 1."),
        ({"action": "a" * 81}, "Please use at most 80 characters."),
    ],
)
def test_bad_audit_filters_answer_422(as_admin, args, message):
    """Malformed filters are refused with a reason, never a server error."""
    page = as_admin.get("/admin/audit", query_string=args)
    fragment = as_admin.get("/admin/audit", query_string=args, headers=HTMX)
    export = as_admin.get("/admin/audit.csv", query_string=args)

    assert (page.status_code, fragment.status_code) == (422, 422)
    assert message in page_text(page)
    assert message in page_text(fragment)
    assert export.status_code == 400


def test_the_csv_export_has_a_bom_the_filters_and_vietnamese_time(as_admin, admin):
    """The CSV opens in Excel (BOM, UTF-8), keeps the filters and uses Vietnam time."""
    _record("test.call", admin.id, 7, datetime(2026, 3, 1, 17, 30), note="Đã gọi")
    _record("other.thing", admin.id, 8)

    response = as_admin.get("/admin/audit.csv", query_string={"action": "test."})

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1:] == [
        [
            "2026-03-02 00:30:00",
            admin.email,
            "test.call",
            "user:7",
            "",
            "",
            '{"note": "Đã gọi"}',
        ]
    ]
    [export] = audit_events("admin.audit_exported")
    assert (export.actor_id, export.data) == (
        admin.id,
        {"filters": {"action": "test."}},
    )


def test_the_audit_log_records_admin_actions(as_admin, admin, make_user):
    """Actions taken on the pages appear in the log, with the request's address."""
    person = make_user("volunteer")
    as_admin.post(f"/admin/users/{person.id}/suspend")

    response = as_admin.get(
        "/admin/audit", query_string={"object_type": "user", "object_id": person.id}
    )

    [entry] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "admin.user_suspended")
    )
    assert entry.ip == "127.0.0.1"
    assert entry.request_id
    assert _entries(response) == [entry.id]
