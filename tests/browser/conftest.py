"""Browser fixtures: COPN on a live loopback server, driven by Debian's Chromium.

Chromium is launched through Playwright's sync API from /usr/bin/chromium (never a
browser downloaded by ``playwright install``). Without it the browser tests are
skipped, unless COPN_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Runs in every page before its own scripts. CSP does not apply to it; it reports
# each violation to the test through the binding exposed below.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__copnReportCsp(JSON.stringify({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
  }));
});
"""


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("COPN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (COPN_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once per session."""
    if not CHROMIUM.exists():
        _browser_unavailable(
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(make_app: Callable[..., Flask]) -> Iterator[LiveServer]:
    """COPN served over HTTP on a free loopback port, with CSRF protection on."""
    # Chromium treats 127.0.0.1 as a secure origin, so the Secure session cookie of
    # production works over plain HTTP here.
    app = make_app(SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    yield LiveServer(app=app, base_url=f"http://127.0.0.1:{server.server_port}")

    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def app(live_server: LiveServer) -> Iterator[Flask]:
    """The live server's application, with an app context pushed.

    Fixtures built on ``app`` (``run_jobs``, ``make_user``) then work on the very app
    the browser talks to. Commit what the server must see.
    """
    with live_server.app.app_context():
        yield live_server.app


@dataclass
class LiveServer:
    app: Flask
    base_url: str

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@dataclass
class BrowserPage:
    """A page with what went wrong in it: CSP violations, console and page errors."""

    page: Any
    base_url: str
    console: list[Any] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def goto(self, path: str = "/") -> Any:
        return self.page.goto(self.base_url + path)

    def console_errors(self, expected_statuses: Iterable[int] = ()) -> list[str]:
        """Console errors, without failed loads answered with ``expected_statuses``."""
        expected = tuple(f"with a status of {code} " for code in expected_statuses)
        errors = []
        for message in self.console:
            if message.type != "error":
                continue
            if expected and any(text in message.text for text in expected):
                continue
            errors.append(message.text)
        return errors

    def problems(self, expected_statuses: Iterable[int] = ()) -> list[str]:
        """Every CSP violation, console error and uncaught exception so far."""
        violations = [f"CSP: {json.dumps(v)}" for v in self.csp_violations]
        errors = [f"console: {e}" for e in self.console_errors(expected_statuses)]
        return violations + errors + [f"page: {e}" for e in self.page_errors]


@pytest.fixture
def make_browser_page(
    chromium: Any, live_server: LiveServer
) -> Iterator[Callable[..., BrowserPage]]:
    """Open pages on the live server, each in a fresh context (``new_context`` args)."""
    contexts: list[Any] = []

    def make(**context_options: Any) -> BrowserPage:
        context = chromium.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        watched = BrowserPage(page=page, base_url=live_server.base_url)

        def report_csp(source: Any, payload: str) -> None:
            watched.csp_violations.append(json.loads(payload))

        page.expose_binding("__copnReportCsp", report_csp)
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.on("console", lambda message: watched.console.append(message))
        page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
        return watched

    yield make

    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(make_browser_page: Callable[..., BrowserPage]) -> BrowserPage:
    """A desktop-sized page on the live server."""
    return make_browser_page(viewport={"width": 1280, "height": 800})
