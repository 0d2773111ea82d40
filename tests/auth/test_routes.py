"""The account page: who you are, two-factor status, where you are signed in."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.auth.conftest import page_text


def test_the_account_page_needs_a_signed_in_user(new_browser):
    """Nobody signed in is sent to sign in, and back to the page afterwards."""
    response = new_browser().get("/auth/account")

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/sign-in"
    assert parse_qs(target.query)["next"] == ["/auth/account"]


def test_the_account_page_shows_the_person(new_browser, make_user, sign_in):
    """The page shows the name, address and whether two-factor is on."""
    user = make_user("volunteer", name="Trần Văn Bình")
    person = sign_in(user, on=new_browser())

    body = page_text(person.get("/auth/account"))

    assert "Tài khoản của bạn" in body
    assert "Trần Văn Bình" in body
    assert user.email in body
    assert re.search(r"<dt>Xác thực hai lớp</dt>\s*<dd>\s*Tắt", body)
    assert 'href="/auth/change-password"' in body
    assert 'href="/auth/recovery-codes"' not in body


def test_staff_see_two_factor_on_and_their_recovery_codes_link(
    new_browser, make_user, sign_in
):
    """Someone with two-factor sees it on, with the way to their recovery codes."""
    person = sign_in(make_user("coordinator"), on=new_browser())

    body = page_text(person.get("/auth/account"))

    assert re.search(r"<dt>Xác thực hai lớp</dt>\s*<dd>\s*Bật", body)
    assert 'href="/auth/recovery-codes"' in body


def test_one_session_offers_no_sign_out_elsewhere(new_browser, make_user, sign_in):
    """With only this browser signed in, there is nothing else to end."""
    person = sign_in(make_user("volunteer"), on=new_browser())

    body = page_text(person.get("/auth/account"))

    assert body.count('<li class="session">') == 1
    assert "Trình duyệt này" in body
    assert "/auth/account/sessions/end-others" not in body


def test_ending_other_sessions_needs_a_post(new_browser, make_user, sign_in):
    """A link cannot end someone's sessions: the action answers only to POST."""
    person = sign_in(make_user("volunteer"), on=new_browser())

    response = person.get("/auth/account/sessions/end-others")

    assert response.status_code == 405
