"""Sessions kept on the server: sign-out, new ids, idle timeouts, other devices."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from copn.core.clock import utcnow
from copn.core.models import ServerSession
from copn.extensions import db
from tests.auth.conftest import PASSWORD, page_text, signed_in
from tests.conftest import TEST_PASSWORD

COOKIE = "copn_session"


def _cookie(browser) -> str | None:
    cookie = browser.get_cookie(COOKIE, domain="copn.test")
    return cookie.value if cookie else None


def _copy_cookie(value: str, to) -> None:
    to.set_cookie(COOKIE, value, domain="copn.test")


def _rows(user_id: int | None = None) -> list[ServerSession]:
    db.session.expire_all()
    query = select(ServerSession)
    if user_id is not None:
        query = query.where(ServerSession.user_id == user_id)
    return list(db.session.scalars(query))


def _go_idle(user_id: int, seconds: int) -> None:
    """Move the last request of ``user_id``'s sessions ``seconds`` into the past."""
    for row in _rows(user_id):
        row.last_seen_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_a_copy_of_the_cookie_is_useless_after_sign_out(
    new_browser, make_user, sign_in
):
    """Someone who copied the session cookie cannot use it once the user signs out."""
    person = sign_in(make_user("volunteer"), on=new_browser())
    thief = new_browser()
    _copy_cookie(_cookie(person), thief)
    assert signed_in(thief)

    person.post("/auth/sign-out")

    assert not signed_in(thief)
    assert _rows() == [] or all(row.user_id is None for row in _rows())


def test_sign_out_deletes_the_session_on_the_server(new_browser, make_user, sign_in):
    """After sign-out the server keeps nothing of the session, and the cookie goes."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())
    assert len(_rows(user.id)) == 1

    response = person.post("/auth/sign-out")

    assert _rows(user.id) == []
    assert f"{COOKIE}=;" in " ".join(response.headers.getlist("Set-Cookie"))


def test_sign_in_issues_a_new_session_id(new_browser, make_user):
    """The id a visitor had before signing in is not the one that is signed in."""
    user = make_user("volunteer")
    person = new_browser()
    person.post("/language", data={"locale": "vi"})  # a session before sign-in
    before = _cookie(person)
    assert before

    person.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD})

    after = _cookie(person)
    assert after and after != before
    planted = new_browser()
    _copy_cookie(before, planted)
    assert not signed_in(planted)
    assert signed_in(person)


def test_the_two_factor_step_also_gets_a_new_session_id(
    new_browser, make_user, sign_in
):
    """A staff member's id changes when the sign-in completes at the code step."""
    user = make_user("coordinator")
    person = new_browser()
    person.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    halfway = _cookie(person)

    sign_in(user, on=person)

    assert _cookie(person) != halfway


def test_a_password_change_ends_the_other_sessions_only(
    new_browser, make_user, sign_in
):
    """Changing the password signs out the other devices, not the one used."""
    user = make_user("volunteer")
    laptop = sign_in(user, on=new_browser())
    phone = sign_in(user, on=new_browser())

    response = laptop.post(
        "/auth/change-password",
        data={
            "password": TEST_PASSWORD,
            "new_password": PASSWORD,
            "new_password_confirm": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert len(_rows(user.id)) == 1


def test_the_account_page_lists_the_sessions(new_browser, make_user, sign_in):
    """Each device signed in shows on the account page; this one is marked."""
    user = make_user("volunteer")
    sign_in(user, on=new_browser())
    laptop = sign_in(user, on=new_browser())

    body = page_text(laptop.get("/auth/account"))

    assert body.count('<li class="session">') == 2
    assert body.count("Trình duyệt này") == 1
    assert "Đăng xuất khỏi mọi nơi khác" in body


def test_sign_out_everywhere_else_ends_the_other_sessions(
    new_browser, make_user, sign_in
):
    """The account page's button signs out every other device, not this one."""
    user = make_user("volunteer")
    phone = sign_in(user, on=new_browser())
    laptop = sign_in(user, on=new_browser())

    response = laptop.post("/auth/account/sessions/end-others")

    assert response.headers["Location"] == "/auth/account"
    assert "Các phiên đăng nhập khác của bạn đã được kết thúc." in page_text(
        laptop.get("/auth/account")
    )
    assert signed_in(laptop)
    assert not signed_in(phone)


def test_sign_out_everywhere_else_needs_a_signed_in_user(new_browser):
    """Nobody signed in cannot end sessions; they are sent to sign in."""
    response = new_browser().post("/auth/account/sessions/end-others")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/sign-in"


@pytest.mark.parametrize(
    ("role", "timeout_key"),
    [
        ("volunteer", "SESSION_IDLE_TIMEOUT"),
        ("coordinator", "SESSION_IDLE_TIMEOUT_STAFF"),
    ],
)
def test_a_session_ends_after_its_idle_timeout(
    site, new_browser, make_user, sign_in, role, timeout_key
):
    """A session left unused past its role's idle timeout is signed out."""
    user = make_user(role)
    person = sign_in(user, on=new_browser())
    timeout = site.config[timeout_key]
    assert _rows(user.id)[0].idle_seconds == timeout

    _go_idle(user.id, timeout - 60)
    assert signed_in(person)
    _go_idle(user.id, timeout + 1)

    assert not signed_in(person)
    assert _rows(user.id) == []


def test_staff_sessions_end_sooner_than_volunteers(new_browser, make_user, sign_in):
    """After the staff idle timeout, the coordinator is out and the volunteer is not."""
    volunteer = make_user("volunteer")
    coordinator = make_user("coordinator")
    volunteers_browser = sign_in(volunteer, on=new_browser())
    coordinators_browser = sign_in(coordinator, on=new_browser())
    staff_timeout = new_browser().application.config["SESSION_IDLE_TIMEOUT_STAFF"]

    _go_idle(volunteer.id, staff_timeout + 1)
    _go_idle(coordinator.id, staff_timeout + 1)

    assert signed_in(volunteers_browser)
    assert not signed_in(coordinators_browser)


def test_a_short_idle_timeout_from_the_config_applies(make_app, make_user, sign_in):
    """SESSION_IDLE_TIMEOUT set by the operator is the one sessions get."""
    person = make_app(SESSION_IDLE_TIMEOUT=120).test_client()
    user = make_user("volunteer")
    sign_in(user, on=person)

    assert _rows(user.id)[0].idle_seconds == 120
    _go_idle(user.id, 121)
    assert not signed_in(person)


def test_a_session_ends_after_its_lifetime(new_browser, make_user, sign_in):
    """Even a busy session ends PERMANENT_SESSION_LIFETIME after it began."""
    user = make_user("volunteer")
    person = sign_in(user, on=new_browser())

    db.session.execute(
        update(ServerSession)
        .where(ServerSession.user_id == user.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()

    assert not signed_in(person)


@pytest.mark.parametrize("env", ["testing", "production"])
def test_the_session_cookie_is_http_only_same_site_and_secure(make_app, env):
    """Scripts cannot read the cookie, other sites do not get it, HTTPS only."""
    app = make_app(ENV=env, SECURITY_TOTP_SECRETS={"1": "x" * 40})
    response = app.test_client().get("/auth/sign-in")

    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE)
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" in attributes


def test_the_session_cookie_works_over_http_in_development(make_app, tmp_path):
    """A developer on http://127.0.0.1 gets a cookie without the Secure flag."""
    app = make_app(ENV="development", INSTANCE_PATH=str(tmp_path))
    response = app.test_client().get("/auth/sign-in")

    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie
