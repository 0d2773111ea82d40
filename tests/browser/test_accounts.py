"""Accounts in a real browser: sign-up, confirmation, two-factor, sign-in and out."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import pytest
from passlib.totp import TOTP
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.conftest import TEST_PASSWORD, Mailbox

pytestmark = pytest.mark.browser

NAME = "Nguyễn Thị Minh Anh"
EMAIL = "minh.anh@example.org"
PASSPHRASE = "Tôi bảo vệ trẻ em trên mạng mỗi ngày"
TOTP_PERIOD = 30

CHECK_YOUR_EMAIL = (
    f"Cảm ơn bạn. Để xác nhận địa chỉ email {EMAIL}, vui lòng bấm vào liên kết "
    "trong email chúng tôi vừa gửi cho bạn."
)
CONFIRMED = "Cảm ơn bạn. Email của bạn đã được xác nhận."
SUBJECT_VI = "Xác nhận địa chỉ email của bạn với COPN"
TWO_FACTOR_FOR_STAFF = "Vai trò của bạn xử lý dữ liệu nhạy cảm"
TWO_FACTOR_CHANGED = "Bạn đã đổi phương thức xác thực hai lớp thành công."
INVALID_CODE = "Mã không hợp lệ"
SIGN_IN_FAILED = (
    "Xác thực không thành công - thông tin đăng nhập hoặc mật khẩu/mã không hợp lệ"
)


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def page_text(message: Message) -> str:
    """The decoded text/plain part of ``message``."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the message has no text part")


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill in and send the sign-in form (the page must show it)."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()


def choose_authenticator(page: Page) -> str:
    """On the two-factor page, choose the authenticator app; return the shown key."""
    page.get_by_role("radio", name=re.compile("ứng dụng xác thực", re.I)).check()
    page.locator("form[name=two_factor_setup_form] [type=submit]").click()
    expect(page.locator("#qrcode")).to_be_visible()
    key = page.locator("#qrcode").locator("xpath=../following-sibling::div[1]")
    return re.sub(r"[\s-]", "", key.inner_text())


def token_at(key: str, step: int) -> str:
    """The authenticator app's code for the 30-second time step ``step``."""
    return TOTP(key=key, format="base32").generate(time=step * TOTP_PERIOD).token


def current_step() -> int:
    return int(time.time()) // TOTP_PERIOD


def enter_code(page: Page, code: str) -> None:
    form = page.locator("form[name=two_factor_verify_code_form]")
    form.locator("input[name=code]").fill(code)
    form.locator("[type=submit]").click()


def test_sign_up_confirm_two_factor_and_sign_out_for_good(
    make_browser_page: Callable[..., BrowserPage],
    live_server: LiveServer,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    """Sign up, confirm by mail, set up two-factor, sign in again; sign-out is final."""
    watched = make_browser_page(viewport={"width": 1280, "height": 800})
    page = watched.page

    # Sign up.
    watched.goto("/auth/sign-up")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_label("Họ và tên").fill(NAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSPHRASE)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSPHRASE)
    page.get_by_label(re.compile("Tôi đã đọc và đồng ý")).check()
    page.locator("main").get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#messages")).to_contain_text(CHECK_YOUR_EMAIL)

    # The confirmation mail, in Vietnamese, with the link in its text part.
    assert run_jobs() >= 1
    [mail] = mailbox.to(EMAIL)
    assert subject_of(mail) == SUBJECT_VI
    text = page_text(mail)
    assert f"Xin chào {NAME}," in text
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1
    link = links[0]
    assert link.startswith(live_server.url("/auth/confirm/"))

    # Following it confirms the address.
    page.goto(link)
    expect(page.locator("#messages")).to_contain_text(CONFIRMED)

    # Sign in: no two-factor yet for a member without a staff role.
    watched.goto("/auth/sign-in")
    sign_in(page, EMAIL, PASSPHRASE)
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    # Set up the authenticator app with the key shown on the page.
    watched.goto("/auth/two-factor")
    key = choose_authenticator(page)
    assert re.fullmatch(r"[A-Z2-7]{16,}", key), key
    setup_step = current_step()
    enter_code(page, token_at(key, setup_step))
    expect(page.locator("#messages")).to_contain_text(TWO_FACTOR_CHANGED)
    watched.goto("/auth/account")
    expect(page.locator("h1")).to_have_text("Tài khoản của bạn")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(NAME)
    expect(facts).to_contain_text(EMAIL)
    expect(facts.locator("dd").nth(2)).to_contain_text("Bật")
    sign_out(page)

    # Sign in again: password, then a fresh code (the one used is spent).
    watched.goto("/auth/sign-in")
    sign_in(page, EMAIL, PASSPHRASE)
    expect(page.locator("form[name=two_factor_verify_code_form]")).to_be_visible()
    assert path_of(page) == "/auth/two-factor/verify"
    enter_code(page, token_at(key, setup_step))  # already used: refused
    expect(page.locator("main")).to_contain_text(INVALID_CODE)
    enter_code(page, token_at(key, max(current_step(), setup_step + 1)))
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    watched.goto("/auth/account")
    expect(page.locator("h1")).to_have_text("Tài khoản của bạn")

    # A copy of the session cookie opens the account while the session lasts...
    session_cookies = [
        cookie for cookie in page.context.cookies() if cookie["name"] == "copn_session"
    ]
    assert len(session_cookies) == 1
    copy = make_browser_page(viewport={"width": 1280, "height": 800})
    copy.page.context.add_cookies(session_cookies)
    copy.goto("/auth/account")
    expect(copy.page.locator("h1")).to_have_text("Tài khoản của bạn")

    # ...and nothing once its owner has signed out.
    sign_out(page)
    thief = make_browser_page(viewport={"width": 1280, "height": 800})
    thief.page.context.add_cookies(session_cookies)
    thief.goto("/auth/account")
    assert path_of(thief.page) == "/auth/sign-in"
    expect(thief.page.locator("h1")).to_have_text("Đăng nhập")
    expect(thief.page.get_by_text(EMAIL)).to_have_count(0)
    expect(thief.page.get_by_role("button", name="Đăng xuất")).to_have_count(0)

    # The only console message is the refused (422) replayed code.
    assert watched.problems(expected_statuses=[422]) == []
    assert copy.problems() == []
    assert thief.problems() == []


def test_staff_without_two_factor_must_set_it_up_first(
    browser_page: BrowserPage, make_user: Callable[..., Any]
) -> None:
    """A coordinator without two-factor is sent to set it up before anything else."""
    email = "dieu.phoi@example.org"
    make_user("coordinator", email=email, two_factor=False)  # committed
    page = browser_page.page

    browser_page.goto("/auth/sign-in")
    sign_in(page, email, TEST_PASSWORD)
    expect(page.locator("#messages")).to_contain_text(TWO_FACTOR_FOR_STAFF)
    assert path_of(page) == "/auth/two-factor"

    browser_page.goto("/auth/account")
    assert path_of(page) == "/auth/two-factor"
    expect(page.locator("#messages")).to_contain_text(TWO_FACTOR_FOR_STAFF)
    expect(page.locator("h1")).not_to_have_text("Tài khoản của bạn")

    # Once two-factor is on, the account page opens.
    key = choose_authenticator(page)
    enter_code(page, token_at(key, current_step()))
    expect(page.locator("#messages")).to_contain_text(TWO_FACTOR_CHANGED)
    browser_page.goto("/auth/account")
    assert path_of(page) == "/auth/account"
    expect(page.locator("h1")).to_have_text("Tài khoản của bạn")
    expect(page.locator("dl.facts")).to_contain_text(email)
    assert browser_page.problems() == []


def test_wrong_password_shows_translated_error_in_place(
    browser_page: BrowserPage, make_user: Callable[..., Any]
) -> None:
    """A wrong password gets the Vietnamese error in the form (422); the email stays."""
    email = "thanh.vien@example.org"
    make_user(email=email)
    page = browser_page.page
    browser_page.goto("/auth/sign-in")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill("không phải mật khẩu của tôi")
    with page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and urlsplit(response.url).path == "/auth/sign-in"
        )
    ) as answer:
        page.locator("main").get_by_role("button", name="Đăng nhập").click()

    assert answer.value.status == 422
    error = page.locator("form[name=login_user_form] [role=alert]")
    expect(error).to_have_text(SIGN_IN_FAILED)
    assert path_of(page) == "/auth/sign-in"
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Mật khẩu")).to_have_value("")
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)
    assert browser_page.problems(expected_statuses=[422]) == []
