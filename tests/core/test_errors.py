"""Error pages in the reader's language, fragments for htmx, and expired forms."""

from __future__ import annotations

import re

import pytest

from copn.core.access import POLICY, PUBLIC

HTMX = {"HX-Request": "true"}

TITLES = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    404: ("Không tìm thấy trang", "Page not found"),
    405: ("Không được phép", "Not allowed"),
    413: ("Quá lớn", "Too large"),
    429: ("Quá nhiều lần thử", "Too many attempts"),
    500: ("Đã xảy ra lỗi", "Something went wrong"),
}


def _boom():
    raise RuntimeError("a bug in a view")


@pytest.fixture
def error_client(make_app, monkeypatch):
    """A client of an app where every error can be provoked."""
    monkeypatch.setitem(POLICY, "boom", PUBLIC)
    app = make_app(
        MAX_CONTENT_LENGTH=1024,
        PROPAGATE_EXCEPTIONS=False,
        RATELIMIT_ENABLED=True,
        SIGN_IN_RATE_LIMIT="1 per minute",
    )
    app.add_url_rule("/boom", "boom", _boom)
    return app.test_client()


def _provoke(client, code, headers=None):
    headers = headers or {}
    if code == 400:
        return client.post("/language", data={"locale": "xx"}, headers=headers)
    if code == 404:
        return client.get("/no-such-page", headers=headers)
    if code == 405:
        return client.get("/auth/sign-out", headers=headers)
    if code == 413:
        data = {"locale": "en", "padding": "x" * 2048}
        return client.post("/language", data=data, headers=headers)
    if code == 429:
        form = {"email": "nobody@example.org", "password": "wrong"}
        client.post("/auth/sign-in", data=form)
        return client.post("/auth/sign-in", data=form, headers=headers)
    return client.get("/boom", headers=headers)


@pytest.mark.parametrize("code", sorted(TITLES))
def test_error_pages_are_in_vietnamese_by_default(error_client, code):
    """Someone who meets an error reads what happened in Vietnamese."""
    response = _provoke(error_client, code)

    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="vi">' in body
    assert TITLES[code][0] in body
    assert "Trang chủ" in body


@pytest.mark.parametrize("code", sorted(TITLES))
def test_error_pages_are_in_english_after_switching(error_client, code):
    """Someone who chose English reads the error in English."""
    error_client.post("/language", data={"locale": "en"})

    response = _provoke(error_client, code)

    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="en">' in body
    assert TITLES[code][1] in body


@pytest.mark.parametrize("code", sorted(TITLES))
def test_htmx_requests_get_the_error_fragment(error_client, code):
    """htmx gets only the message, which copn.js shows without replacing the page."""
    response = _provoke(error_client, code, HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert body.lstrip().startswith('<section class="error-fragment"')
    assert f'data-status="{code}"' in body
    assert "<html" not in body
    assert TITLES[code][0] in body
    assert "HX-Request" in response.headers["Vary"]


def test_a_server_error_reveals_nothing_of_the_cause(error_client):
    """The 500 page says sorry without the exception's text."""
    body = _provoke(error_client, 500).get_data(as_text=True)

    assert "a bug in a view" not in body
    assert "RuntimeError" not in body


def test_method_not_allowed_says_which_methods_work(error_client):
    """A 405 answer keeps its Allow header."""
    response = _provoke(error_client, 405)

    assert "POST" in response.headers["Allow"]


def test_too_many_attempts_says_when_to_retry(error_client):
    """A 429 answer tells the browser how long to wait."""
    response = _provoke(error_client, 429)

    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def csrf_client(make_app):
    """A client of an app that checks CSRF tokens, as in production."""
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _page_token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_post_without_a_token_explains_and_renews_it(csrf_client):
    """A form without its token is refused with a clear message and a new token."""
    response = csrf_client.post("/language", data={"locale": "en"})

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Biểu mẫu của bạn đã hết hạn" in body
    token = response.headers["X-CSRF-Token"]

    again = csrf_client.post(
        "/language", data={"locale": "en"}, headers={"X-CSRFToken": token}
    )
    assert again.status_code == 302


def test_a_form_left_open_after_its_session_ended_can_be_sent_again(csrf_client):
    """A token from an ended session is refused once; the renewed one then works."""
    stale = _page_token(csrf_client)
    csrf_client.delete_cookie("copn_session", domain="copn.test")

    refused = csrf_client.post(
        "/language", data={"locale": "en", "csrf_token": stale}, headers=HTMX
    )

    assert refused.status_code == 400
    assert refused.get_data(as_text=True).lstrip().startswith("<section")
    renewed = refused.headers["X-CSRF-Token"]
    assert renewed != stale
    accepted = csrf_client.post(
        "/language", data={"locale": "en", "csrf_token": renewed}, headers=HTMX
    )
    assert accepted.status_code == 302


def test_a_forged_token_is_refused(csrf_client):
    """A token that was not issued by COPN does not pass."""
    _page_token(csrf_client)

    response = csrf_client.post(
        "/language", data={"locale": "en", "csrf_token": "forged.token.value"}
    )

    assert response.status_code == 400
