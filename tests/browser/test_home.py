"""What a visitor sees in a real browser: language, htmx, CSP, keyboard and phones."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from copn.extensions import db
from tests.browser.conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser

HEADING_VI = "Cùng nhau bảo vệ trẻ em trên môi trường mạng"
HEADING_EN = "Protecting children online, together"

ORGANISATIONS = [
    ("Cục An toàn thông tin", "Authority of Information Security", "AIS"),
    ("Cục Trẻ em", "Department of Children", ""),
    (
        "Hiệp hội An toàn thông tin Việt Nam",
        "Vietnam Information Security Association",
        "VNISA",
    ),
]


@pytest.fixture
def organisations(live_server: LiveServer) -> None:
    """A few member organisations, committed so the live server sees them."""
    from copn.network.models import OrganisationType
    from copn.network.services import add_organisation

    with live_server.app.app_context():
        type_id = db.session.scalars(
            select(OrganisationType.id).order_by(OrganisationType.id)
        ).first()
        for name_vi, name_en, short_name in ORGANISATIONS:
            add_organisation(name_vi, name_en, short_name, type_id, [])
        db.session.commit()


def test_home_opens_in_vietnamese_with_htmx_and_no_csp_violation(
    browser_page: BrowserPage,
) -> None:
    """The home page is in Vietnamese, htmx 2 and copn.js run, nothing is blocked."""
    page = browser_page.page
    browser_page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(HEADING_VI)
    page.wait_for_function("document.body.dataset.copnReady === 'true'")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.version").startswith("2.")
    assert browser_page.problems() == []


def test_language_switch_to_english_persists(browser_page: BrowserPage) -> None:
    """Choosing English shows the page in English, and later pages stay English."""
    page = browser_page.page
    browser_page.goto("/")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(HEADING_EN)
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("button", name="English")).to_have_attribute(
        "aria-pressed", "true"
    )

    browser_page.goto("/network/organisations")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Member organisations")
    assert browser_page.problems() == []


@pytest.mark.usefixtures("organisations")
def test_live_search_updates_results_and_url_without_reload(
    browser_page: BrowserPage,
) -> None:
    """Typing in the search box narrows the list in place and updates the address."""
    page = browser_page.page
    browser_page.goto("/network/organisations")
    results = page.locator("#organisations .org")
    expect(results).to_have_count(len(ORGANISATIONS))
    page.wait_for_function("document.body.dataset.copnReady === 'true'")
    page.evaluate("window.copnMarker = 'still here'")

    page.get_by_role("searchbox").press_sequentially("trẻ em", delay=30)

    expect(results).to_have_count(1)
    expect(results).to_contain_text("Cục Trẻ em")
    expect(page).to_have_url(re.compile(r"/network/organisations\?q="))
    assert parse_qs(urlsplit(page.url).query) == {"q": ["trẻ em"]}
    assert page.evaluate("window.copnMarker") == "still here"
    assert browser_page.problems() == []


def test_too_long_search_shows_translated_error_and_keeps_text(
    browser_page: BrowserPage,
) -> None:
    """A query over 100 characters shows the Vietnamese error; the text stays typed."""
    page = browser_page.page
    browser_page.goto("/network/organisations")
    search = page.get_by_role("searchbox")
    page.wait_for_function("document.body.dataset.copnReady === 'true'")

    search.fill("a" * 101)
    assert search.input_value() == "a" * 100  # the browser enforces maxlength

    # A browser that ignores maxlength (or a pasted URL) reaches the server's check.
    search.evaluate("input => input.removeAttribute('maxlength')")
    page.evaluate("window.copnMarker = 'still here'")
    search.fill("a" * 101)

    error = page.locator("#organisations [role=alert]")
    expect(error).to_have_text("Vui lòng nhập tối đa 100 ký tự.")
    assert search.input_value() == "a" * 101
    assert page.evaluate("window.copnMarker") == "still here"
    assert browser_page.problems(expected_statuses=[422]) == []


def test_first_tab_focuses_visible_skip_link(browser_page: BrowserPage) -> None:
    """The first Tab shows the skip link; following it moves focus to the content."""
    page = browser_page.page
    browser_page.goto("/")
    skip_link = page.locator(".skip-link")

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.usefixtures("organisations")
@pytest.mark.parametrize("path", ["/", "/network/organisations"])
def test_page_fits_a_phone_screen(
    make_browser_page: Callable[..., BrowserPage], path: str
) -> None:
    """On a 375 px wide phone the page needs no horizontal scrolling."""
    phone = make_browser_page(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone.goto(path)
    phone.page.wait_for_load_state("load")

    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.problems() == []
