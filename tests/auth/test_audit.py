"""The audit trail of account events: who, what, from where, when, and no secrets."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from copn.auth.models import User
from copn.core.clock import utcnow
from copn.extensions import db
from tests.auth.conftest import PASSWORD, audit_events, authenticator_code, mailed_path
from tests.conftest import TEST_PASSWORD


def _assert_recorded(action: str, actor_id: int | None, since) -> None:
    events = audit_events(action)
    assert events, f"no {action} event"
    event = events[-1]
    assert event.actor_id == actor_id
    assert event.ip == "127.0.0.1"
    assert since - timedelta(seconds=1) <= event.created_at <= utcnow()
    assert event.request_id


def _assert_no_secrets(*secrets: str) -> None:
    for event in audit_events():
        data = json.dumps(event.data, ensure_ascii=False)
        for secret in secrets:
            assert secret not in data, (event.action, data)
        assert "@" not in data, (event.action, data)


def test_an_account_s_life_is_audited_without_secrets(
    app, new_browser, mailbox, run_jobs
):
    """Sign-up, confirmation, sign-in, password and two-factor changes, sign-out."""
    since = utcnow()
    person = new_browser()
    person.post(
        "/auth/sign-up",
        data={
            "name": "Nguyễn Thị Lan",
            "email": "lan@example.org",
            "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD,
            "privacy_consent": "y",
        },
    )
    user = db.session.scalars(select(User)).one()
    _assert_recorded("auth.registered", user.id, since)

    run_jobs()
    link = mailed_path(mailbox.messages[0], "/auth/confirm/")
    person.get(link)
    _assert_recorded("auth.email_confirmed", user.id, since)

    person.post("/auth/sign-in", data={"email": user.email, "password": "not it"})
    _assert_recorded("auth.sign_in_failed", None, since)
    assert audit_events("auth.sign_in_failed")[-1].object_id == user.id

    person.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    _assert_recorded("auth.signed_in", user.id, since)

    person.post(
        "/auth/change-password",
        data={
            "password": TEST_PASSWORD,
            "new_password": PASSWORD,
            "new_password_confirm": PASSWORD,
        },
    )
    _assert_recorded("auth.password_changed", user.id, since)

    page = person.post("/auth/two-factor", data={"setup": "authenticator"})
    action = re.search(
        r'action="([^"]+)" method="post" name="two_factor_verify_code_form"',
        page.get_data(as_text=True),
    ).group(1)
    with person.session_transaction() as session:
        secret = session["tf_totp_secret"]
    person.post(action, data={"code": authenticator_code(app, secret)})
    _assert_recorded("auth.two_factor_changed", user.id, since)

    person.post("/auth/sign-out")
    _assert_recorded("auth.signed_out", user.id, since)

    token = link.rsplit("/", 1)[1]
    _assert_no_secrets(TEST_PASSWORD, PASSWORD, token, secret, "lan@example.org")


def test_a_failed_sign_in_of_an_unknown_address_is_audited_anonymously(
    new_browser,
):
    """Guessing at addresses leaves a trace, without the address that was typed."""
    since = utcnow()

    new_browser().post(
        "/auth/sign-in", data={"email": "nobody@example.org", "password": "guess"}
    )

    _assert_recorded("auth.sign_in_failed", None, since)
    assert audit_events("auth.sign_in_failed")[0].object_id is None
    _assert_no_secrets("guess", "nobody")


def test_ending_other_sessions_is_audited(new_browser, make_user, sign_in):
    """Signing out everywhere else leaves a trace of who did it."""
    since = utcnow()
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    person.post("/auth/account/sessions/end-others")

    _assert_recorded("auth.sessions_ended", user.id, since)
