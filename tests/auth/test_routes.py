"""Signing in and out through the pages."""

from __future__ import annotations

import unicodedata

import pytest

from copn.extensions import db
from tests.conftest import TEST_PASSWORD, free_port

SIGN_IN = "/auth/sign-in"
GENERIC = "Email hoặc mật khẩu không đúng."
SIGN_IN_LINK = '<a href="/auth/sign-in">Đăng nhập</a>'
SIGN_OUT_BUTTON = '<button type="submit" class="link-button">Đăng xuất</button>'


@pytest.fixture
def fresh_client(make_app):
    """A client whose requests each get their own app context, as in production."""
    return make_app().test_client()


def _sign_in(client, user) -> None:
    data = {"email": user.email, "password": TEST_PASSWORD}
    assert client.post(SIGN_IN, data=data).status_code == 302


def _signed_in(client) -> bool:
    body = client.get("/").get_data(as_text=True)
    assert (SIGN_OUT_BUTTON in body) != (SIGN_IN_LINK in body)
    return SIGN_OUT_BUTTON in body


def test_the_sign_in_page_shows_the_form(client):
    """Anyone can open the sign-in form, in Vietnamese."""
    response = client.get(SIGN_IN)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'autocomplete="current-password"' in body
    assert "Mật khẩu" in body


def test_right_credentials_sign_in(client, make_user):
    """The right email and password open a session and lead to the home page."""
    user = make_user("volunteer")

    response = client.post(
        SIGN_IN, data={"email": user.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in(client)


def test_the_email_is_not_case_sensitive(client, make_user):
    """ "Lan@Example.ORG" signs in the account registered as lan@example.org."""
    make_user("volunteer", email="lan@example.org")

    response = client.post(
        SIGN_IN, data={"email": " Lan@Example.ORG ", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("user1@example.org", "not the password"),
        ("nobody@example.org", TEST_PASSWORD),
    ],
)
def test_wrong_credentials_get_one_generic_message(client, make_user, email, password):
    """A wrong password and an unknown email look the same: no account is revealed."""
    make_user("volunteer", email="user1@example.org")

    response = client.post(SIGN_IN, data={"email": email, "password": password})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert GENERIC in body
    assert f'value="{email}"' in body
    assert not _signed_in(client)


def test_an_inactive_account_cannot_sign_in(client, make_user):
    """A deactivated account is refused with the same generic message."""
    user = make_user("volunteer")
    user.active = False
    db.session.commit()

    response = client.post(
        SIGN_IN, data={"email": user.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 422
    assert GENERIC in response.get_data(as_text=True)
    assert not _signed_in(client)


def test_an_empty_form_asks_for_both_fields(client):
    """Submitting nothing explains what is missing, in Vietnamese."""
    response = client.post(SIGN_IN, data={})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in body
    assert GENERIC not in body


def test_a_password_typed_decomposed_matches(client, make_user):
    """A Vietnamese password typed on a decomposing keyboard still signs in."""
    user = make_user("volunteer")
    typed = unicodedata.normalize("NFD", TEST_PASSWORD)
    assert typed != TEST_PASSWORD

    response = client.post(SIGN_IN, data={"email": user.email, "password": typed})

    assert response.status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client, make_user):
    """After signing in, the user lands on the page that sent them to sign in."""
    user = make_user("volunteer")

    response = client.post(
        SIGN_IN,
        query_string={"next": "/network/organisations?q=tre"},
        data={"email": user.email, "password": TEST_PASSWORD},
    )

    assert response.headers["Location"] == "/network/organisations?q=tre"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\r\nX-A: b"],
)
def test_sign_in_does_not_send_the_user_off_site(client, make_user, target):
    """A crafted sign-in link cannot redirect to another site afterwards."""
    user = make_user("volunteer")

    response = client.post(
        SIGN_IN,
        query_string={"next": target},
        data={"email": user.email, "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_signed_in_user_opening_sign_in_goes_home(sign_in, make_user):
    """The sign-in form is not shown to someone already signed in."""
    client = sign_in(make_user("volunteer"))

    response = client.get(SIGN_IN)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_cannot_be_triggered_by_a_link(sign_in, make_user):
    """Sign-out needs a POST, so an image or link elsewhere cannot sign anyone out."""
    client = sign_in(make_user("volunteer"))

    response = client.get("/auth/sign-out")

    assert response.status_code == 405
    assert _signed_in(client)


def test_sign_out_ends_the_session(sign_in, make_user):
    """After signing out the user is anonymous and told so."""
    client = sign_in(make_user("volunteer"))

    response = client.post("/auth/sign-out")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    body = client.get("/").get_data(as_text=True)
    assert "Bạn đã đăng xuất." in body
    assert not _signed_in(client)


def test_a_copy_of_the_session_cookie_is_useless_after_sign_out(
    fresh_client, make_app, make_user
):
    """Someone who copied the session cookie cannot use it once the user signs out."""
    _sign_in(fresh_client, make_user("volunteer"))
    copied = fresh_client.get_cookie("copn_session", domain="copn.test").value

    fresh_client.post("/auth/sign-out")

    thief = make_app().test_client()
    thief.set_cookie("copn_session", copied, domain="copn.test")
    assert not _signed_in(thief)


def test_a_changed_identity_signs_the_user_out(fresh_client, make_user):
    """Sessions follow fs_uniquifier: changing it ends the user's sessions."""
    user = make_user("volunteer")
    _sign_in(fresh_client, user)
    assert _signed_in(fresh_client)

    user.fs_uniquifier = "a-new-identity-0123456789"
    db.session.commit()

    assert not _signed_in(fresh_client)


def test_a_deactivated_user_is_signed_out(fresh_client, make_user):
    """Deactivating an account ends its open sessions at the next page."""
    user = make_user("volunteer")
    _sign_in(fresh_client, user)

    user.active = False
    db.session.commit()

    assert not _signed_in(fresh_client)


def test_navigation_offers_sign_in_in_english_too(client):
    """Signed-out visitors see "Sign in" in their language."""
    client.post("/language", data={"locale": "en"})

    body = client.get("/").get_data(as_text=True)

    assert '<a href="/auth/sign-in">Sign in</a>' in body
    assert "Sign out" not in body


def test_too_many_sign_in_attempts_are_refused(make_app, make_user):
    """Guessing passwords is slowed down: past the limit even the right one waits."""
    client = make_app(
        RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="2 per minute"
    ).test_client()
    user = make_user("volunteer")
    wrong = {"email": user.email, "password": "guess"}

    assert client.post(SIGN_IN, data=wrong).status_code == 422
    assert client.post(SIGN_IN, data=wrong).status_code == 422
    right = {"email": user.email, "password": TEST_PASSWORD}
    assert client.post(SIGN_IN, data=right).status_code == 429
    assert client.get(SIGN_IN).status_code == 200


def test_sign_in_works_while_redis_is_down(make_app, make_user):
    """Rate limits fall back to memory, so an outage of Redis locks nobody out."""
    redis_down = f"redis://127.0.0.1:{free_port()}/0"
    client = make_app(
        RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="1 per minute", REDIS_URL=redis_down
    ).test_client()
    user = make_user("volunteer")
    right = {"email": user.email, "password": TEST_PASSWORD}

    assert client.post(SIGN_IN, data=right).status_code == 302
    client.post("/auth/sign-out")
    assert client.post(SIGN_IN, data=right).status_code == 429
