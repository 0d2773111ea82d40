"""Creating an account: the form, consent, the confirmation mail and its link."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from flask_security import verify_password
from sqlalchemy import func, select

from copn.auth.models import Consent, User
from copn.auth.security import PRIVACY_NOTICE_VERSION, security
from copn.core.clock import utcnow
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

SIGN_UP = "/auth/sign-up"
CHECK_YOUR_MAIL = "vui lòng bấm vào liên kết trong email chúng tôi vừa gửi cho bạn"
GENERIC = (
    "Xác thực không thành công - thông tin đăng nhập hoặc mật khẩu/mã không hợp lệ"
)


def _form(**changes: str) -> dict[str, str]:
    form = {
        "name": "Nguyễn Thị Lan",
        "email": "lan@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "privacy_consent": "y",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_the_form_asks_for_name_email_password_and_consent(new_browser):
    """Anyone can open the sign-up form, in Vietnamese, with the privacy notice."""
    response = new_browser().get(SIGN_UP)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("name", "email", "password", "password_confirm", "privacy_consent"):
        assert f'name="{field}"' in body
    assert "Tôi đã đọc và đồng ý với thông báo về bảo vệ dữ liệu cá nhân." in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Vui lòng nhập họ và tên của bạn."),
        ({"email": "lan@"}, "Địa chỉ email không hợp lệ"),
        (
            {"password": "ngắn quá", "password_confirm": "ngắn quá"},
            "Mật khẩu phải có ít nhất 12 ký tự",
        ),
        (
            {"password": "password1234", "password_confirm": "password1234"},
            "Mật khẩu này quá dễ đoán.",
        ),
        (
            {"password": "matkhau12345", "password_confirm": "matkhau12345"},
            "Mật khẩu này quá dễ đoán.",
        ),
        ({"password_confirm": PASSWORD + "!"}, "Hai mật khẩu không khớp nhau"),
        (
            {"privacy_consent": None},
            "Bạn cần đồng ý với thông báo về bảo vệ dữ liệu cá nhân để tạo tài khoản.",
        ),
    ],
)
def test_a_form_with_a_problem_is_refused_and_creates_nothing(
    new_browser, mailbox, run_jobs, changes, message
):
    """Each problem is explained next to its field; no account or mail is made."""
    response = new_browser().post(SIGN_UP, data=_form(**changes))

    assert response.status_code == 422
    assert message in page_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _users() == 0
    run_jobs()
    assert mailbox.messages == []


def test_the_guessable_password_message_is_in_english_after_switching(new_browser):
    """Someone who chose English is told in English that the password is weak."""
    person = new_browser()
    person.post("/language", data={"locale": "en"})

    response = person.post(
        SIGN_UP, data=_form(password="password1234", password_confirm="password1234")
    )

    assert response.status_code == 422
    assert "This password is too easy to guess." in page_text(response)


def test_sign_up_creates_an_unconfirmed_account_with_its_consent(new_browser):
    """The account waits for confirmation; the consent is kept with version and time."""
    before = utcnow()

    response = new_browser().post(SIGN_UP, data=_form(email=" Lan@Example.ORG "))

    assert response.status_code == 302
    user = db.session.scalars(select(User)).one()
    assert user.email == "lan@example.org"
    assert user.name == "Nguyễn Thị Lan"
    assert user.confirmed_at is None
    assert user.role_names == set()
    consent = db.session.scalars(select(Consent)).one()
    assert (consent.user_id, consent.purpose) == (user.id, "privacy_notice")
    assert consent.version == PRIVACY_NOTICE_VERSION
    assert before - timedelta(seconds=1) <= consent.given_at <= utcnow()


def test_the_password_and_name_are_stored_composed(new_browser):
    """Typed on a decomposing keyboard, the password and name are kept in NFC."""
    decomposed = unicodedata.normalize("NFD", PASSWORD)
    assert decomposed != PASSWORD

    new_browser().post(
        SIGN_UP,
        data=_form(
            name=unicodedata.normalize("NFD", "Nguyễn Thị Lan"),
            password=decomposed,
            password_confirm=decomposed,
        ),
    )

    user = db.session.scalars(select(User)).one()
    assert user.name == "Nguyễn Thị Lan"
    assert verify_password(PASSWORD, user.password)


@pytest.mark.parametrize(
    ("locale", "notice", "subject", "greeting"),
    [
        (
            "vi",
            CHECK_YOUR_MAIL,
            "Xác nhận địa chỉ email của bạn với COPN",
            "Xin chào Nguyễn Thị Lan,",
        ),
        (
            "en",
            "please click on the link in the email we have just sent to you",
            "Confirm your email address for COPN",
            "Hello Nguyễn Thị Lan,",
        ),
    ],
)
def test_the_confirmation_mail_is_in_the_language_used(
    new_browser, mailbox, run_jobs, locale, notice, subject, greeting
):
    """The confirmation mail goes out through the outbox in the person's language."""
    person = new_browser()
    if locale != "vi":
        person.post("/language", data={"locale": locale})

    response = person.post(SIGN_UP, data=_form())

    assert notice in page_text(person.get(response.headers["Location"]))
    assert mailbox.messages == []  # queued, not sent during the request
    run_jobs()
    assert mailbox.subjects() == [subject]
    message = mailbox.messages[0]
    assert message.envelope_recipients == ["lan@example.org"]
    assert greeting in mail_text(message)
    assert mailed_path(message, "/auth/confirm/")


def test_the_mailed_link_confirms_the_address(new_browser, mailbox, run_jobs):
    """Opening the link confirms the address; then the person can sign in."""
    person = new_browser()
    person.post(SIGN_UP, data=_form())
    run_jobs()
    link = mailed_path(mailbox.messages[0], "/auth/confirm/")

    response = person.get(link)

    assert response.status_code == 302
    page = page_text(person.get(response.headers["Location"]))
    assert "Cảm ơn bạn. Email của bạn đã được xác nhận." in page
    db.session.expire_all()
    assert db.session.scalars(select(User)).one().confirmed_at is not None
    signing_in = person.post(
        "/auth/sign-in", data={"email": "lan@example.org", "password": PASSWORD}
    )
    assert signing_in.status_code == 302
    assert signed_in(person)


def test_a_tampered_link_confirms_nothing(new_browser, mailbox, run_jobs):
    """A link with a changed token says it is invalid and confirms nobody."""
    person = new_browser()
    person.post(SIGN_UP, data=_form())
    run_jobs()
    link = mailed_path(mailbox.messages[0], "/auth/confirm/")
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")

    response = person.get(tampered)

    page = page_text(person.get(response.headers["Location"]))
    assert "Liên kết xác nhận không hợp lệ." in page
    db.session.expire_all()
    assert db.session.scalars(select(User)).one().confirmed_at is None


def test_an_expired_link_confirms_nothing(new_browser, mailbox, run_jobs):
    """An old link says so, confirms nobody and leads to asking for a new one."""
    person = new_browser()
    person.post(SIGN_UP, data=_form())
    run_jobs()
    link = mailed_path(mailbox.messages[0], "/auth/confirm/")
    token = link.rsplit("/", 1)[1]
    old = aged(token, security.confirm_serializer, seconds=3 * 24 * 3600)

    response = person.get(f"/auth/confirm/{old}")

    assert response.headers["Location"] == "/auth/confirm"  # to ask for a new one
    page = page_text(person.get(response.headers["Location"]))
    assert "Bạn đã không xác nhận email trong vòng" in page
    db.session.expire_all()
    assert db.session.scalars(select(User)).one().confirmed_at is None


def test_the_confirmation_link_can_be_sent_again(new_browser, mailbox, run_jobs):
    """Someone who lost the mail asks for it again and gets a working link."""
    person = new_browser()
    person.post(SIGN_UP, data=_form())
    run_jobs()
    mailbox.clear()

    response = person.post("/auth/confirm", data={"email": "lan@example.org"})

    assert response.status_code == 200
    run_jobs()
    assert mailbox.subjects() == ["Xác nhận địa chỉ email của bạn với COPN"]
    person.get(mailed_path(mailbox.messages[0], "/auth/confirm/"))
    db.session.expire_all()
    assert db.session.scalars(select(User)).one().confirmed_at is not None


def test_an_unconfirmed_account_cannot_sign_in(new_browser):
    """Until the address is confirmed, the right password still does not sign in."""
    person = new_browser()
    person.post(SIGN_UP, data=_form())

    response = person.post(
        "/auth/sign-in", data={"email": "lan@example.org", "password": PASSWORD}
    )

    assert response.status_code == 422
    assert GENERIC in page_text(response)
    assert not signed_in(person)


def test_a_known_address_reveals_nothing_and_mails_its_owner(
    new_browser, make_user, mailbox, run_jobs
):
    """Signing up with a taken address looks like a new sign-up; the owner is told."""
    owner = make_user("volunteer", email="lan@example.org")
    newcomer = new_browser().post(SIGN_UP, data=_form(email="moi@example.org"))
    run_jobs()
    mailbox.clear()

    response = new_browser().post(SIGN_UP, data=_form(email="LAN@example.org"))

    assert response.status_code == newcomer.status_code == 302
    assert response.headers["Location"] == newcomer.headers["Location"]
    assert _users() == 2
    db.session.refresh(owner)
    assert owner.name != "Nguyễn Thị Lan"
    assert verify_password(TEST_PASSWORD, owner.password)
    run_jobs()
    assert mailbox.subjects() == [
        "Có người đã thử tạo tài khoản COPN bằng địa chỉ email của bạn"
    ]
    assert mailbox.messages[0].envelope_recipients == ["lan@example.org"]
    assert mailed_path(mailbox.messages[0], "/auth/reset-password/")
