"""Slowing down password guessing at sign-in, without locking out an office."""

from __future__ import annotations

import pytest

from tests.auth.conftest import audit_events, page_text
from tests.conftest import TEST_PASSWORD, free_port

SIGN_IN = "/auth/sign-in"
TOO_MANY = "Bạn đã thử quá nhiều lần trong thời gian ngắn."


@pytest.fixture
def limited(make_app):
    """An app counting sign-in attempts in Redis: 3 a minute per account and address."""
    return make_app(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")


def _attempt(browser, email: str, password: str = "a wrong guess", **headers: str):
    return browser.post(
        SIGN_IN, data={"email": email, "password": password}, headers=headers
    )


def test_the_fourth_failed_attempt_is_refused(limited, make_user):
    """After three wrong passwords the fourth try is refused with a 429, translated."""
    user = make_user("volunteer")
    browser = limited.test_client()
    for _ in range(3):
        assert _attempt(browser, user.email).status_code == 422

    response = _attempt(browser, user.email, TEST_PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in page_text(response)
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert len(audit_events("auth.sign_in_limited")) == 1


def test_the_refusal_is_in_english_after_switching(limited, make_user):
    """Someone who chose English is told in English to wait."""
    user = make_user("volunteer")
    browser = limited.test_client()
    browser.post("/language", data={"locale": "en"})
    for _ in range(3):
        _attempt(browser, user.email)

    response = _attempt(browser, user.email)

    assert response.status_code == 429
    assert "You have tried too many times in a short while." in page_text(response)


def test_another_account_from_the_same_address_still_signs_in(limited, make_user):
    """A colleague behind the same office address is not locked out."""
    guessed = make_user("volunteer")
    colleague = make_user("volunteer")
    browser = limited.test_client()
    for _ in range(4):
        _attempt(browser, guessed.email)

    response = _attempt(limited.test_client(), colleague.email, TEST_PASSWORD)

    assert response.status_code == 302


def test_the_count_follows_the_account_however_it_is_typed(limited, make_user):
    """Changing the case or adding spaces to the address does not reset the count."""
    make_user("volunteer", email="lan@example.org")
    browser = limited.test_client()
    for typed in ("lan@example.org", "LAN@example.org", " Lan@Example.org "):
        _attempt(browser, typed)

    assert _attempt(browser, "lan@EXAMPLE.org").status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_count(limited, make_user):
    """Without trusted proxies, X-Forwarded-For is ignored: the count goes on."""
    assert limited.config["TRUSTED_PROXIES"] == 0
    user = make_user("volunteer")
    browser = limited.test_client()
    for n in range(3):
        _attempt(browser, user.email, **{"X-Forwarded-For": f"203.0.113.{n}"})

    response = _attempt(browser, user.email, **{"X-Forwarded-For": "198.51.100.9"})

    assert response.status_code == 429
    assert {event.ip for event in audit_events()} == {"127.0.0.1"}


@pytest.mark.parametrize("setting", ["REDIS_URL", "RATELIMIT_STORAGE_URI"])
def test_sign_in_works_while_redis_is_down(make_app, make_user, setting):
    """With the rate-limit store unreachable, people can still sign in."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(
        RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="1 per minute", **{setting: closed}
    )
    user = make_user("volunteer")
    browser = app.test_client()

    assert _attempt(browser, user.email).status_code == 422
    response = _attempt(browser, user.email, TEST_PASSWORD)

    assert response.status_code == 302
