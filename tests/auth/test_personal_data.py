"""What a person can see and take away: their account's activity and their data."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

from sqlalchemy import select

from copn.auth.models import Consent, User
from copn.core import audit
from copn.core.clock import utcnow
from copn.core.models import AuditEvent
from copn.extensions import db
from tests.auth.conftest import audit_events, page_text

ACTIVITY = "/auth/account/activity"
HTMX = {"HX-Request": "true"}


def _english(user: User) -> User:
    """The user with English chosen: the assertions read COPN's own wording."""
    user.locale = "en"
    db.session.commit()
    return user


def _record(action: str, user: User, actor: User | None = None, **fields) -> int:
    """An audit entry about ``user`` (done by ``actor``, or by ``user``); its id."""
    event = audit.record(action, "user", user.id, actor_id=(actor or user).id)
    for name, value in fields.items():
        setattr(event, name, value)
    db.session.commit()
    return event.id


def _entries(body: str) -> list[str]:
    return re.findall(r'<li class="activity">(.*?)</li>', body, re.S)


def test_activity_shows_one_s_own_sign_ins_and_nobody_else_s(
    new_browser, make_user, sign_in
):
    """Your sign-ins and their address show; another person's entries never do."""
    user = _english(make_user("volunteer"))
    other = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())
    sign_in(other, on=new_browser())
    _record("test.their_marker", other)

    body = page_text(person.get(ACTIVITY))

    entries = _entries(body)
    assert len(entries) == 1
    assert "Signed in" in entries[0]
    assert "from 127.0.0.1" in entries[0]
    assert "test.their_marker" not in body
    assert "<html" in body


def test_unknown_actions_get_a_generic_label(new_browser, make_user, sign_in):
    """An action without a label of its own is still listed, named generically."""
    user = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())
    _record("test.own_marker", user)

    body = page_text(person.get(ACTIVITY))

    assert "Other activity (test.own_marker)" in body


def test_another_person_s_address_is_not_shown(new_browser, make_user, sign_in):
    """An administrator's action on your account shows, without their address."""
    user = _english(make_user("volunteer"))
    admin = make_user("admin")
    person = sign_in(user, on=new_browser())
    _record("admin.role_granted", user, actor=admin, ip="203.0.113.9")

    body = page_text(person.get(ACTIVITY))

    assert "Role granted" in body
    assert "(by another person)" in body
    assert "203.0.113.9" not in body


def test_pages_of_activity_go_back_in_time(new_browser, make_user, sign_in):
    """The first page holds the newest 25; ``before`` gives only older entries."""
    user = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())
    ids = [_record(f"test.entry_{n:02d}", user) for n in range(1, 31)]

    first = page_text(person.get(ACTIVITY))

    assert len(_entries(first)) == 25
    assert "test.entry_30" in first and "test.entry_06" in first
    assert "test.entry_05" not in first
    link = f'href="/auth/account/activity?before={ids[5]}"'
    assert link in first

    older = page_text(person.get(ACTIVITY, query_string={"before": ids[5]}))

    assert re.findall(r"test\.entry_\d+", older) == [
        f"test.entry_{n:02d}" for n in range(5, 0, -1)
    ]
    assert "Signed in" in older
    assert "?before=" not in older  # nothing older is left


def test_more_activity_for_htmx_is_a_fragment(new_browser, make_user, sign_in):
    """htmx gets only the next entries to append; a plain request the whole page."""
    user = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())
    ids = [_record(f"test.entry_{n:02d}", user) for n in range(1, 4)]

    fragment = person.get(ACTIVITY, query_string={"before": ids[2]}, headers=HTMX)
    page = person.get(ACTIVITY, query_string={"before": ids[2]})

    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<li class="activity">')
    assert len(_entries(html)) == 3  # two entries and the sign-in
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    assert page.headers["Cache-Control"] == "no-store"


def test_a_nonsense_before_gives_the_newest_entries(new_browser, make_user, sign_in):
    """A mistyped or enormous ``before`` shows the first page, never an error."""
    user = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())

    for before in ("abc", str(10**30), "-1"):
        response = person.get(ACTIVITY, query_string={"before": before})

        assert response.status_code == 200
        expected = 0 if before == "-1" else 1
        assert len(_entries(page_text(response))) == expected


def test_the_more_button_works_with_and_without_javascript(
    new_browser, make_user, sign_in
):
    """The "more" control is a real link that htmx swaps for the next entries."""
    user = _english(make_user("volunteer"))
    person = sign_in(user, on=new_browser())
    ids = [_record(f"test.entry_{n:02d}", user) for n in range(1, 31)]

    body = page_text(person.get(ACTIVITY))

    url = f"/auth/account/activity?before={ids[5]}"
    assert f'href="{url}" hx-get="{url}" hx-target="#activity-more"' in body
    assert '<li id="activity-more"' in body


def _staff_with_secrets(make_user) -> User:
    user = make_user("coordinator", name="Phạm Thu Hà", email="ha@example.org")
    user.mf_recovery_codes = ["recovery-code-hash-0001", "recovery-code-hash-0002"]
    user.locale = "en"
    db.session.add(
        Consent(
            user_id=user.id,
            purpose="privacy_notice",
            version="2026-12",
            given_at=utcnow(),
        )
    )
    db.session.commit()
    return user


def test_the_json_file_holds_the_person_s_data_and_no_secrets(
    new_browser, make_user, sign_in
):
    """Consents, sessions, roles and activity are there; secrets and others are not."""
    user = _staff_with_secrets(make_user)
    other = make_user("volunteer", name="Lê Văn Khác", email="khac@example.org")
    person = new_browser()
    person.environ_base["HTTP_USER_AGENT"] = "MyBrowser/2.0"
    sign_in(user, on=person)
    elsewhere = new_browser()
    elsewhere.environ_base["HTTP_USER_AGENT"] = "TheirBrowser/1.0"
    sign_in(other, on=elsewhere)

    response = person.get("/auth/account/data.json")

    text = response.get_data(as_text=True)
    data = json.loads(text)
    stored = db.session.get(User, user.id)
    assert data["account"]["email"] == "ha@example.org"
    assert data["account"]["name"] == "Phạm Thu Hà"
    assert data["account"]["two_factor"] == "on"
    assert data["roles"] == ["coordinator"]
    assert [(c["purpose"], c["version"]) for c in data["consents"]] == [
        ("privacy_notice", "2026-12")
    ]
    assert [s["browser"] for s in data["sessions"]] == ["MyBrowser/2.0"]
    assert data["sessions"][0]["address"] == "127.0.0.1"
    assert "auth.signed_in" in [e["action"] for e in data["activity"]]
    assert "Phạm Thu Hà" in text  # UTF-8, not \u escapes
    for secret in (
        stored.password,
        stored.tf_totp_secret,
        stored.fs_uniquifier,
        "recovery-code-hash",
    ):
        assert secret not in text
    for key in ("password", "tf_totp_secret", "mf_recovery_codes", "fs_uniquifier"):
        assert key not in data["account"]
    assert "khac@example.org" not in text
    assert "Lê Văn Khác" not in text
    assert "TheirBrowser" not in text
    assert other.id not in [e["object_id"] for e in data["activity"]]


def test_the_csv_file_has_a_bom_and_vietnamese_intact(new_browser, make_user, sign_in):
    """Spreadsheets open it as UTF-8: a BOM, then rows with the name as typed."""
    user = _staff_with_secrets(make_user)
    person = sign_in(user, on=new_browser())

    response = person.get("/auth/account/data.csv")

    raw = response.get_data()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["section", "field", "value"]
    assert ["account", "name", "Phạm Thu Hà"] in rows
    assert ["account", "two_factor", "on"] in rows
    assert ["roles", "1", "coordinator"] in rows
    assert ["consents", "1.purpose", "privacy_notice"] in rows
    assert "recovery-code-hash" not in raw.decode("utf-8-sig")


def test_a_cell_that_looks_like_a_formula_is_made_inert(
    new_browser, make_user, sign_in
):
    """A name starting with "=" reaches the spreadsheet as text, not a formula."""
    user = make_user("volunteer", name="=HYPERLINK(1)")
    person = sign_in(user, on=new_browser())

    raw = person.get("/auth/account/data.csv").get_data().decode("utf-8-sig")

    assert ["account", "name", "'=HYPERLINK(1)"] in list(csv.reader(io.StringIO(raw)))


def test_both_files_are_attachments_never_cached_and_audited(
    new_browser, make_user, sign_in
):
    """Each download is a dated attachment, not stored by caches, and recorded."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    for kind in ("json", "csv"):
        response = person.get(f"/auth/account/data.{kind}")

        assert response.status_code == 200
        assert (
            response.mimetype == {"json": "application/json", "csv": "text/csv"}[kind]
        )
        assert re.fullmatch(
            rf"attachment; filename=copn-data-\d{{4}}-\d\d-\d\d\.{kind}",
            response.headers["Content-Disposition"],
        )
        assert response.headers["Cache-Control"] == "no-store"

    events = audit_events("account.data_exported")
    assert [(e.actor_id, e.object_id, e.data) for e in events] == [
        (user.id, user.id, {"kind": "json"}),
        (user.id, user.id, {"kind": "csv"}),
    ]


def test_an_export_lists_the_person_s_own_audit_entries_only(
    new_browser, make_user, sign_in
):
    """The activity in the file is exactly the entries about or by the person."""
    user = make_user("volunteer")
    other = make_user("volunteer")
    person = sign_in(user, on=new_browser())
    sign_in(other, on=new_browser())

    data = person.get("/auth/account/data.json").get_json()

    theirs = db.session.scalars(
        select(AuditEvent.id).where(
            (AuditEvent.object_id == user.id) | (AuditEvent.actor_id == user.id),
            AuditEvent.action != "account.data_exported",  # recorded after the file
        )
    ).all()
    assert theirs
    assert sorted(e["id"] for e in data["activity"]) == sorted(theirs)
