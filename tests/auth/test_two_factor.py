"""Two-factor authentication: required of staff, codes used once, recovery codes."""

from __future__ import annotations

import re

import pytest

from copn.extensions import db
from tests.auth.conftest import (
    audit_events,
    authenticator_code,
    page_text,
    signed_in,
)
from tests.conftest import TEST_PASSWORD, totp_code

SETUP = "/auth/two-factor"
VERIFY = "/auth/two-factor/verify"
INVALID_CODE = "Mã không hợp lệ"
SET_UP_FIRST = "vui lòng thiết lập xác thực hai lớp trước khi tiếp tục"


def _password_step(browser, user):
    response = browser.post(
        "/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _choose_authenticator(browser) -> tuple[str, str]:
    """Start the setup; returns the code form's action and the new secret."""
    response = browser.post(SETUP, data={"setup": "authenticator"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    action = re.search(
        r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"',
        body,
    ).group(1)
    with browser.session_transaction() as session:
        secret = session["tf_totp_secret"]
    return action.replace("&amp;", "&"), secret


def _set_up(app, browser) -> None:
    action, secret = _choose_authenticator(browser)
    response = browser.post(action, data={"code": authenticator_code(app, secret)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["/", "/network/organisations", "/auth/account"])
def test_staff_without_two_factor_must_set_it_up_first(new_browser, make_user, page):
    """A coordinator without two-factor is sent to set it up from every page."""
    person = new_browser()
    _password_step(person, make_user("coordinator", two_factor=False))

    response = person.get(page)

    assert response.status_code == 302
    assert response.headers["Location"] == SETUP
    assert SET_UP_FIRST in page_text(person.get(SETUP))


def test_staff_without_two_factor_can_still_sign_out(new_browser, make_user):
    """The way out stays open while two-factor is not set up."""
    person = new_browser()
    _password_step(person, make_user("coordinator", two_factor=False))

    response = person.post("/auth/sign-out")

    assert response.headers["Location"] == "/"
    assert not signed_in(person)


def test_the_setup_turns_two_factor_on(app, new_browser, make_user):
    """Choosing the authenticator and typing its code turns two-factor on."""
    user = make_user("coordinator", two_factor=False)
    person = new_browser()
    _password_step(person, user)

    _set_up(app, person)

    db.session.refresh(user)
    assert user.tf_primary_method == "authenticator"
    assert user.tf_totp_secret
    assert person.get("/network/organisations").status_code == 200
    assert [e.actor_id for e in audit_events("auth.two_factor_changed")] == [user.id]


def test_after_setup_sign_in_asks_for_a_code(app, new_browser, make_user):
    """Once set up, the password alone no longer signs in."""
    user = make_user("coordinator", two_factor=False)
    person = new_browser()
    _password_step(person, user)
    _set_up(app, person)
    person.post("/auth/sign-out")

    response = _password_step(person, user)

    assert response.headers["Location"].startswith(VERIFY)
    assert not signed_in(person)
    person.post(VERIFY, data={"code": totp_code(app, user)})
    assert signed_in(person)


def test_a_wrong_setup_code_leaves_two_factor_off(app, new_browser, make_user):
    """A mistyped code during setup is refused clearly and changes nothing."""
    user = make_user("coordinator", two_factor=False)
    person = new_browser()
    _password_step(person, user)
    action, secret = _choose_authenticator(person)
    right = authenticator_code(app, secret)
    wrong = "000000" if right != "000000" else "111111"

    response = person.post(action, data={"code": wrong})

    assert INVALID_CODE in page_text(person.get(response.headers["Location"]))
    db.session.refresh(user)
    assert user.tf_primary_method is None
    assert person.get("/").headers["Location"] == SETUP


def test_a_volunteer_may_set_up_two_factor(app, new_browser, make_user, sign_in):
    """Two-factor is optional for volunteers, and they can turn it on."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())
    assert person.get("/auth/account").status_code == 200

    _set_up(app, person)

    db.session.refresh(user)
    assert user.tf_primary_method == "authenticator"
    assert "Bật" in page_text(person.get("/auth/account"))


def test_a_wrong_code_is_refused_clearly(app, new_browser, make_user):
    """A wrong code at sign-in gets a 422 with a message, and no session."""
    user = make_user("coordinator")
    person = new_browser()
    _password_step(person, user)
    right = totp_code(app, user)

    response = person.post(
        VERIFY, data={"code": "000000" if right != "000000" else "1"}
    )

    assert response.status_code == 422
    assert INVALID_CODE in page_text(response)
    assert not signed_in(person)


def test_a_code_cannot_be_used_twice(app, new_browser, make_user):
    """A code seen over someone's shoulder does not work after it was used."""
    user = make_user("coordinator")
    code = totp_code(app, user)
    first = new_browser()
    _password_step(first, user)
    assert first.post(VERIFY, data={"code": code}).status_code == 302

    second = new_browser()
    _password_step(second, user)
    response = second.post(VERIFY, data={"code": code})

    assert response.status_code == 422
    assert INVALID_CODE in page_text(response)
    assert not signed_in(second)
    assert signed_in(first)


def _recovery_codes(browser) -> list[str]:
    response = browser.post("/auth/recovery-codes", data={"generate_new_codes": "y"})
    codes = re.findall(
        r"<li[^>]*>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>",
        (response.get_data(as_text=True)),
    )
    assert len(codes) == 8, response.get_data(as_text=True)
    return codes


def _sign_in_with_recovery_code(browser, user, code: str):
    _password_step(browser, user)
    browser.post("/auth/two-factor/rescue", data={"help_setup": "recovery_code"})
    return browser.post("/auth/recovery", data={"code": code})


def test_recovery_codes_are_shown_once_made(new_browser, make_user, sign_in):
    """A staff member can make recovery codes and see them to write them down."""
    person = sign_in(make_user("coordinator"), on=new_browser())

    codes = _recovery_codes(person)

    assert len(set(codes)) == 8
    shown = person.get("/auth/recovery-codes", query_string={"show_codes": "y"})
    assert all(code in shown.get_data(as_text=True) for code in codes)


def test_a_recovery_code_signs_in_once(new_browser, make_user, sign_in):
    """A lost phone is replaced by a recovery code, which then stops working."""
    user = make_user("coordinator")
    codes = _recovery_codes(sign_in(user, on=new_browser()))
    person = new_browser()

    response = _sign_in_with_recovery_code(person, user, codes[0])

    assert response.status_code == 302
    assert signed_in(person)
    again = new_browser()
    refused = _sign_in_with_recovery_code(again, user, codes[0])
    assert refused.status_code == 422
    assert "Mã khôi phục không hợp lệ" in page_text(refused)
    assert not signed_in(again)
    assert _sign_in_with_recovery_code(again, user, codes[1]).status_code == 302


def test_staff_cannot_switch_two_factor_off(new_browser, make_user, sign_in):
    """A coordinator's two-factor stays on: "off" is neither offered nor accepted."""
    user = make_user("coordinator")
    person = sign_in(user, on=new_browser())
    assert 'value="disable"' not in person.get(SETUP).get_data(as_text=True)

    response = person.post(SETUP, data={"setup": "disable"})

    assert response.status_code == 422
    db.session.refresh(user)
    assert user.tf_primary_method == "authenticator"


def test_a_volunteer_can_switch_two_factor_off(new_browser, make_user, sign_in):
    """Two-factor a volunteer chose can be switched off again."""
    user = make_user("volunteer", two_factor=True)
    person = sign_in(user, on=new_browser())
    assert 'value="disable"' in person.get(SETUP).get_data(as_text=True)

    response = person.post(SETUP, data={"setup": "disable"})

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.tf_primary_method is None
