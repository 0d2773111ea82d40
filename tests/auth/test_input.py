"""Tricky text in the account forms: a clear 4xx, never a server error."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from copn.auth.models import User
from copn.extensions import db
from tests.auth.conftest import PASSWORD, page_text
from tests.conftest import TEST_PASSWORD

SIGN_UP = "/auth/sign-up"
BAD_NAME = "Please type your name again: it contains invisible or unusual characters."
BAD_EMAIL = "Địa chỉ email không hợp lệ"
GENERIC = (
    "Xác thực không thành công - thông tin đăng nhập hoặc mật khẩu/mã không hợp lệ"
)


def _sign_up(browser, **changes: str):
    form = {
        "name": "Nguyễn Thị Lan",
        "email": "lan@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "privacy_consent": "y",
    }
    return browser.post(SIGN_UP, data=dict(form, **changes))


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn\u200bThị Lan",  # zero-width space
        "Nguyễn Thị Lan\u200d",  # zero-width joiner
        "\u202eNal ihT nêyugN",  # right-to-left override
        "Lan\u0301\u0301\u0301\u0301",  # stacked accents
        "\u0301Lan",  # an accent on nothing
        "Ｌａｎ",  # full-width letters
        "Lan １２３",  # full-width digits
        "Lan\x00",  # NUL, which PostgreSQL refuses to store
        "Lan\nThị",  # a line break
    ],
)
def test_a_name_with_hidden_or_unusual_characters_is_refused(new_browser, name):
    """Invisible, stacked or full-width characters in a name are explained, not kept."""
    person = new_browser()
    person.post("/language", data={"locale": "en"})  # the wording is COPN's own

    response = _sign_up(person, name=name)

    assert response.status_code == 422
    assert BAD_NAME in page_text(response)
    assert _users() == 0


@pytest.mark.parametrize(
    "email",
    [
        "lan\u200b@example.org",  # zero-width space
        "ｌａｎ@example.org",  # full-width letters
        "lan１２３@example.org",  # full-width digits
        "la\u0301n@example.org",  # combining accent
        "lan@exam\u200bple.org",
        "lan\x00@example.org",
        "lan@example.org\nBcc: x@example.org",
    ],
)
def test_an_email_with_tricky_characters_is_refused(new_browser, email):
    """An address that only looks like a plain one is refused clearly."""
    response = _sign_up(new_browser(), email=email)

    assert response.status_code == 422
    assert BAD_EMAIL in page_text(response)
    assert _users() == 0


def test_a_decomposed_vietnamese_name_is_accepted(new_browser):
    """A name typed on a decomposing keyboard is a normal name, stored composed."""
    response = _sign_up(new_browser(), name=unicodedata.normalize("NFD", "Lê Thị Ánh"))

    assert response.status_code == 302
    assert db.session.scalars(select(User.name)).one() == "Lê Thị Ánh"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Lan " * 60}, "Vui lòng nhập tối đa 200 ký tự."),
        ({"email": "a" * 250 + "@example.org"}, BAD_EMAIL),
        (
            {"password": "mật khẩu " * 200, "password_confirm": "mật khẩu " * 200},
            "Vui lòng nhập tối đa 1024 ký tự.",
        ),
    ],
)
def test_overlong_sign_up_fields_are_refused(new_browser, changes, message):
    """Too long a name, address or password is refused with the limit."""
    response = _sign_up(new_browser(), **changes)

    assert response.status_code == 422
    assert message in page_text(response)
    assert _users() == 0


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ｕｓｅｒ１@example.org", TEST_PASSWORD),
        ("user1\u200b@example.org", TEST_PASSWORD),
        ("user1\x00@example.org", TEST_PASSWORD),
        ("x" * 5000, TEST_PASSWORD),
        ("user1@example.org", "x" * 100_000),
        ("user1@example.org", TEST_PASSWORD + "\x00"),
        ("user1@example.org", "\u200b" * 2000),
    ],
)
def test_tricky_sign_in_input_is_refused_generically(
    new_browser, make_user, email, password
):
    """Odd addresses and huge passwords get the usual refusal, not an error."""
    make_user("volunteer", email="user1@example.org")

    response = new_browser().post(
        "/auth/sign-in", data={"email": email, "password": password}
    )

    assert response.status_code == 422
    assert GENERIC in page_text(response)


@pytest.mark.parametrize(
    "path", ["/auth/reset-password", "/auth/confirm", "/auth/sign-up"]
)
@pytest.mark.parametrize(
    "email", ["user1\x00@example.org", "ｕｓｅｒ１@example.org", "x" * 100_000]
)
def test_other_account_forms_never_fail_on_tricky_addresses(
    new_browser, make_user, path, email
):
    """Reset, confirmation and sign-up forms answer odd addresses without a 500."""
    make_user("volunteer", email="user1@example.org")

    response = new_browser().post(path, data={"email": email})

    assert response.status_code < 500
