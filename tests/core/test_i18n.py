"""Vietnamese first, English on request, Vietnam time."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_babel import force_locale, format_datetime

from copn.auth.models import User
from copn.extensions import db
from tests.conftest import TEST_PASSWORD


def test_pages_are_in_vietnamese_by_default(client):
    """A first visit, whatever the browser's language, is in Vietnamese."""
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    body = response.get_data(as_text=True)
    assert '<html lang="vi">' in body
    assert "Tổ chức thành viên" in body
    assert "Member organisations" not in body


def test_switching_to_english_is_remembered_in_the_session(client):
    """After choosing English, the next pages are in English."""
    response = client.post("/language", data={"locale": "en"})

    assert response.status_code == 302
    body = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Member organisations" in body


def test_the_switch_returns_to_the_page_it_was_used_on(client):
    """The language buttons bring the reader back where they were."""
    body = client.get("/network/organisations?q=tre").get_data(as_text=True)
    assert 'action="/language?next=/network/organisations?q%3Dtre"' in body

    response = client.post(
        "/language?next=/network/organisations?q%3Dtre", data={"locale": "en"}
    )

    assert response.headers["Location"] == "/network/organisations?q=tre"


def test_the_choice_is_saved_on_the_account(make_app, make_user, sign_in):
    """A signed-in user's choice follows them to their next sign-in."""
    # Clients of an app without a pushed context: each request has its own, as in
    # production, so nothing of the first browser's sign-in carries over.
    site = make_app()
    user = make_user("volunteer")
    browser = sign_in(user, on=site.test_client())

    browser.post("/language", data={"locale": "en"})

    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    fresh = site.test_client()
    fresh.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    assert '<html lang="en">' in fresh.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in site.test_client().get("/").get_data(as_text=True)


def test_an_unknown_language_is_refused(client):
    """Only Vietnamese and English can be chosen."""
    response = client.post("/language", data={"locale": "fr"})

    assert response.status_code == 400
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\r\nSet-Cookie: copn_session=x",
        "javascript:alert(1)",
    ],
)
def test_the_switch_does_not_send_the_reader_off_site(client, target):
    """A crafted link cannot use the language switch to redirect elsewhere."""
    response = client.post(
        "/language", query_string={"next": target}, data={"locale": "en"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_times_are_shown_in_vietnam_time(app):
    """A time stored in UTC is shown seven hours later, as in Hà Nội."""
    stored = datetime(2026, 12, 3, 20, 30)

    with app.test_request_context(), force_locale("en"):
        shown = format_datetime(stored, "yyyy-MM-dd HH:mm")

    assert shown == "2026-12-04 03:30"


def test_the_privacy_notice_reads_in_both_languages(make_app):
    """The notice people accept is there to read, in Vietnamese and in English."""
    from copn.auth.security import PRIVACY_NOTICE_VERSION

    client = make_app().test_client()  # no shared app context: each request its own

    vietnamese = client.get("/privacy").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    english = client.get("/privacy").get_data(as_text=True)

    assert "Thông báo về bảo vệ dữ liệu cá nhân" in vietnamese
    assert "Privacy notice" in english
    assert PRIVACY_NOTICE_VERSION in vietnamese and PRIVACY_NOTICE_VERSION in english
    assert "91/2025/QH15" in vietnamese
