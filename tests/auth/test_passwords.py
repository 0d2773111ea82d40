"""Passwords: resetting a forgotten one by mail, changing one, what is refused."""

from __future__ import annotations

import pytest
from flask_security import verify_password

from copn.auth.security import CopnPasswordUtil, security
from copn.extensions import db
from tests.auth.conftest import (
    PASSWORD,
    aged,
    mail_text,
    mailed_path,
    page_text,
    signed_in,
)
from tests.conftest import TEST_PASSWORD

FORGOT = "/auth/reset-password"
CHANGE = "/auth/change-password"
RESET_SENT = "Hướng dẫn đặt lại mật khẩu đã được gửi đến"
INVALID_LINK = "Liên kết đặt lại mật khẩu không hợp lệ."


def _reset_link(browser, user, mailbox, run_jobs) -> str:
    browser.post(FORGOT, data={"email": user.email})
    run_jobs()
    (message,) = mailbox.to(user.email)
    return mailed_path(message, "/auth/reset-password/")


def _new_password(password: str = PASSWORD) -> dict[str, str]:
    return {"password": password, "password_confirm": password}


def _signs_in(browser, user, password: str) -> bool:
    response = browser.post(
        "/auth/sign-in", data={"email": user.email, "password": password}
    )
    return response.status_code == 302


def test_a_reset_request_mails_a_link(new_browser, make_user, mailbox, run_jobs):
    """Asking for a reset sends a link to the address, in the person's language."""
    user = make_user("volunteer")

    response = new_browser().post(FORGOT, data={"email": user.email.upper()})

    assert response.status_code == 200
    assert RESET_SENT in page_text(response)
    run_jobs()
    assert mailbox.subjects() == ["Chọn mật khẩu mới cho COPN"]
    assert mailbox.messages[0].envelope_recipients == [user.email]
    assert mailed_path(mailbox.messages[0], "/auth/reset-password/")


def test_a_reset_request_for_an_unknown_address_looks_the_same(
    new_browser, mailbox, run_jobs
):
    """Nobody learns whether an address has an account; nothing is sent."""
    response = new_browser().post(FORGOT, data={"email": "nobody@example.org"})

    assert response.status_code == 200
    assert f"{RESET_SENT} nobody@example.org." in page_text(response)
    run_jobs()
    assert mailbox.messages == []


def test_the_link_sets_a_new_password_once(new_browser, make_user, mailbox, run_jobs):
    """The mailed link sets a new password; the old one stops working."""
    user = make_user("volunteer")
    person = new_browser()
    link = _reset_link(person, user, mailbox, run_jobs)
    assert person.get(link).status_code == 200

    response = person.post(link, data=_new_password())

    assert response.status_code == 302
    assert not _signs_in(new_browser(), user, TEST_PASSWORD)
    assert _signs_in(new_browser(), user, PASSWORD)


def test_a_used_link_is_refused(new_browser, make_user, mailbox, run_jobs):
    """The same link cannot set the password a second time."""
    user = make_user("volunteer")
    person = new_browser()
    link = _reset_link(person, user, mailbox, run_jobs)
    person.post(link, data=_new_password())

    response = person.post(link, data=_new_password(PASSWORD + " thêm nữa"))

    assert response.status_code == 302
    assert INVALID_LINK in page_text(person.get(response.headers["Location"]))
    db.session.refresh(user)
    assert verify_password(PASSWORD, user.password)


def test_an_expired_link_is_refused(new_browser, make_user, mailbox, run_jobs):
    """A link older than SECURITY_RESET_PASSWORD_WITHIN changes nothing."""
    user = make_user("volunteer")
    person = new_browser()
    link = _reset_link(person, user, mailbox, run_jobs)
    base, token = link.rsplit("/", 1)
    old = aged(token, security.reset_serializer, seconds=3 * 3600)

    response = person.post(f"{base}/{old}", data=_new_password())

    assert response.status_code == 302
    assert "Bạn đã không đặt lại mật khẩu trong vòng" in page_text(
        person.get(response.headers["Location"])
    )
    db.session.refresh(user)
    assert verify_password(TEST_PASSWORD, user.password)


def test_a_reset_refuses_a_guessable_password(
    new_browser, make_user, mailbox, run_jobs
):
    """The new password is checked like at sign-up."""
    user = make_user("volunteer")
    person = new_browser()
    link = _reset_link(person, user, mailbox, run_jobs)

    response = person.post(link, data=_new_password("password1234"))

    assert response.status_code == 422
    assert "Mật khẩu này quá dễ đoán." in page_text(response)


def test_a_reset_mails_a_notice(new_browser, make_user, mailbox, run_jobs):
    """After a reset the owner is told, with a way to react if it was not them."""
    user = make_user("volunteer")
    person = new_browser()
    link = _reset_link(person, user, mailbox, run_jobs)
    mailbox.clear()

    person.post(link, data=_new_password())

    run_jobs()
    assert mailbox.subjects() == ["Mật khẩu COPN của bạn đã được thay đổi"]
    assert "http://copn.test/auth/reset-password" in mail_text(mailbox.messages[0])


def _change(browser, current: str, new: str = PASSWORD):
    return browser.post(
        CHANGE,
        data={"password": current, "new_password": new, "new_password_confirm": new},
    )


def test_changing_the_password_needs_the_current_one(new_browser, make_user, sign_in):
    """A wrong current password changes nothing."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    response = _change(person, "not the password")

    assert response.status_code == 422
    assert "Mật khẩu không đúng" in page_text(response)
    db.session.refresh(user)
    assert verify_password(TEST_PASSWORD, user.password)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("password1234", "Mật khẩu này quá dễ đoán."),
        ("ngắn quá", "Mật khẩu phải có ít nhất 12 ký tự"),
    ],
)
def test_changing_the_password_checks_the_new_one(
    new_browser, make_user, sign_in, new, message
):
    """A short or guessable new password is refused with the reason."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    response = _change(person, TEST_PASSWORD, new)

    assert response.status_code == 422
    assert message in page_text(response)
    db.session.refresh(user)
    assert verify_password(TEST_PASSWORD, user.password)


def test_changing_the_password_mails_a_notice(
    new_browser, make_user, sign_in, mailbox, run_jobs
):
    """The new password works, the old one not, and the owner is told by mail."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    response = _change(person, TEST_PASSWORD)

    assert response.status_code == 302
    assert signed_in(person)
    run_jobs()
    assert mailbox.subjects() == ["Mật khẩu COPN của bạn đã được thay đổi"]
    assert mailbox.messages[0].envelope_recipients == [user.email]
    assert not _signs_in(new_browser(), user, TEST_PASSWORD)
    assert _signs_in(new_browser(), user, PASSWORD)


@pytest.mark.parametrize(
    "password",
    ["matkhau12345678", "anhyeuem123456", "hanoi12345678", "yeuem12345678"],
)
def test_vietnamese_guessable_passwords_are_refused(app, password):
    """Weak passwords built from common Vietnamese words are too easy to guess."""
    problems, _ = CopnPasswordUtil(app).validate(password, True)

    assert problems


@pytest.mark.parametrize(
    "password", ["lan.nguyen@example.org", "lannguyen2026", "tranlan123456"]
)
def test_a_password_made_of_ones_own_address_or_name_is_refused(app, password):
    """The person's own address or name, even run together, is too easy to guess."""
    problems, _ = CopnPasswordUtil(app).validate(
        password, True, email="lan.nguyen@example.org", name="Trần Lan"
    )

    assert problems


def test_a_long_phrase_is_accepted(app):
    """A phrase of several words passes."""
    problems, normalised = CopnPasswordUtil(app).validate(PASSWORD, True)

    assert problems is None
    assert normalised == PASSWORD
