"""Signing in and out through Flask-Security's pages."""

from __future__ import annotations

import unicodedata
from urllib.parse import urljoin, urlsplit

import pytest

from copn.extensions import db
from tests.auth.conftest import page_text, signed_in
from tests.conftest import TEST_PASSWORD

SIGN_IN = "/auth/sign-in"
GENERIC = (
    "Xác thực không thành công - thông tin đăng nhập hoặc mật khẩu/mã không hợp lệ"
)


def _credentials(user, password: str = TEST_PASSWORD) -> dict[str, str]:
    return {"email": user.email, "password": password}


def test_the_sign_in_page_shows_the_form(new_browser):
    """Anyone can open the sign-in form, in Vietnamese."""
    response = new_browser().get(SIGN_IN)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'autocomplete="current-password"' in body
    assert "Mật khẩu" in body
    assert 'name="remember"' not in body


def test_right_credentials_sign_in(new_browser, make_user):
    """The right email and password open a session and lead to the home page."""
    person = new_browser()

    response = person.post(SIGN_IN, data=_credentials(make_user("volunteer")))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in(person)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("lan@example.org", "not the password"),
        ("nobody@example.org", TEST_PASSWORD),
    ],
)
def test_wrong_credentials_get_one_generic_message(
    new_browser, make_user, email, password
):
    """A wrong password and an unknown email look the same: no account is revealed."""
    make_user("volunteer", email="lan@example.org")
    person = new_browser()

    response = person.post(SIGN_IN, data={"email": email, "password": password})

    body = page_text(response)
    assert response.status_code == 422
    assert GENERIC in body
    assert f'value="{email}"' in body
    assert not signed_in(person)


def test_the_generic_message_is_in_english_after_switching(new_browser):
    """Someone who chose English reads the refusal in English."""
    person = new_browser()
    person.post("/language", data={"locale": "en"})

    response = person.post(
        SIGN_IN, data={"email": "nobody@example.org", "password": "not it"}
    )

    assert response.status_code == 422
    assert "Authentication failed - identity or password/passcode invalid" in (
        page_text(response)
    )


def test_an_inactive_account_cannot_sign_in(new_browser, make_user):
    """A deactivated account is refused with the same generic message."""
    user = make_user("volunteer")
    user.active = False
    db.session.commit()
    person = new_browser()

    response = person.post(SIGN_IN, data=_credentials(user))

    assert response.status_code == 422
    assert GENERIC in page_text(response)
    assert not signed_in(person)


def test_an_empty_form_gets_the_generic_message_once(new_browser):
    """Submitting nothing is refused with a 422 and one message, not one per field."""
    response = new_browser().post(SIGN_IN, data={})

    assert response.status_code == 422
    assert page_text(response).count(GENERIC) == 1


@pytest.mark.parametrize("typed", [" Lan@Example.ORG ", "LAN@EXAMPLE.ORG\t"])
def test_the_email_is_not_case_or_space_sensitive(new_browser, make_user, typed):
    """ "Lan@Example.ORG " signs in the account registered as lan@example.org."""
    make_user("volunteer", email="lan@example.org")

    response = new_browser().post(
        SIGN_IN, data={"email": typed, "password": TEST_PASSWORD}
    )

    assert response.status_code == 302


def test_a_password_typed_decomposed_matches(new_browser, make_user):
    """A Vietnamese password typed on a decomposing keyboard still signs in."""
    user = make_user("volunteer")
    typed = unicodedata.normalize("NFD", TEST_PASSWORD)
    assert typed != TEST_PASSWORD

    response = new_browser().post(SIGN_IN, data=_credentials(user, typed))

    assert response.status_code == 302


def test_sign_in_returns_to_the_page_asked_for(new_browser, make_user):
    """After signing in, the user lands on the page that sent them to sign in."""
    response = new_browser().post(
        SIGN_IN,
        query_string={"next": "/network/organisations?q=tre"},
        data=_credentials(make_user("volunteer")),
    )

    assert response.headers["Location"] == "/network/organisations?q=tre"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\r\nX-A: b",
        "javascript:alert(1)",
    ],
)
@pytest.mark.parametrize("where", ["query", "form"])
def test_sign_in_does_not_send_the_user_off_site(new_browser, make_user, target, where):
    """A crafted sign-in link signs in as usual and stays on COPN."""
    person = new_browser()
    data = _credentials(make_user("volunteer"))
    if where == "form":
        data["next"] = target

    response = person.post(
        SIGN_IN, query_string={"next": target} if where == "query" else {}, data=data
    )

    assert response.status_code == 302
    location = response.headers["Location"]
    if target.startswith(("//", "http")):
        assert location == "/"
    # Where a browser goes: relative paths resolve against the sign-in page.
    landing = urlsplit(urljoin(f"http://copn.test{SIGN_IN}", location))
    assert landing.netloc == "copn.test"
    assert "\\" not in location and "\n" not in location
    assert signed_in(person)


def test_a_signed_in_user_opening_sign_in_goes_home(new_browser, make_user, sign_in):
    """The sign-in form is not shown to someone already signed in."""
    person = sign_in(make_user("volunteer"), on=new_browser())

    response = person.get(SIGN_IN)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_cannot_be_triggered_by_a_link(new_browser, make_user, sign_in):
    """Sign-out needs a POST, so an image or link elsewhere cannot sign anyone out."""
    person = sign_in(make_user("volunteer"), on=new_browser())

    response = person.get("/auth/sign-out")

    assert response.status_code == 405
    assert signed_in(person)


def test_sign_out_signs_out(new_browser, make_user, sign_in):
    """After signing out the user is anonymous and back on the home page."""
    person = sign_in(make_user("volunteer"), on=new_browser())

    response = person.post("/auth/sign-out")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not signed_in(person)


def test_a_deactivated_user_is_signed_out(new_browser, make_user, sign_in):
    """Deactivating an account ends its open sessions at the next page."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    user.active = False
    db.session.commit()

    assert not signed_in(person)


def test_a_changed_identity_signs_the_user_out(new_browser, make_user, sign_in):
    """Sessions follow fs_uniquifier: changing it ends the user's sessions."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    user.fs_uniquifier = "a-new-identity-0123456789"
    db.session.commit()

    assert not signed_in(person)


def test_remember_me_is_never_set(new_browser, make_user):
    """Even if "remember" is posted, no long-lived cookie outlives the session."""
    person = new_browser()
    data = dict(_credentials(make_user("volunteer")), remember="y")

    response = person.post(SIGN_IN, data=data)

    assert response.status_code == 302
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "remember" not in cookies
    assert person.get_cookie("remember_token") is None


def test_a_sign_in_without_its_csrf_token_is_refused_clearly(make_app, make_user):
    """With CSRF checks on (as in production), a form without its token gets a 400."""
    person = make_app(WTF_CSRF_ENABLED=True).test_client()

    response = person.post(SIGN_IN, data=_credentials(make_user("volunteer")))

    assert response.status_code == 400
    assert "Biểu mẫu của bạn đã hết hạn" in page_text(response)
    assert response.headers["X-CSRF-Token"]


def test_navigation_offers_sign_in_in_english_too(new_browser):
    """Signed-out visitors see "Sign in" in their language."""
    person = new_browser()
    person.post("/language", data={"locale": "en"})

    body = person.get("/").get_data(as_text=True)

    assert '<a href="/auth/sign-in">Sign in</a>' in body
    assert "Sign out" not in body
