"""Security headers, and templates that keep the Content-Security-Policy strict."""

from __future__ import annotations

import re

import pytest

from copn import ROOT

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in policy.split(";"))
    return {name: rest for name, rest in directives}


@pytest.mark.parametrize(
    "path", ["/", "/network/organisations", "/auth/sign-in", "/no-such-page"]
)
def test_pages_carry_the_security_headers(client, path):
    """Every page forbids framing, sniffing, inline code and cross-site referrers."""
    response = client.get(path)

    csp = _csp(response)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("env", ["testing", "production"])
def test_https_is_enforced_outside_development(make_app, env):
    """Browsers are told to use HTTPS only, for two years, on every subdomain."""
    app = make_app(ENV=env, SECURITY_TOTP_SECRETS={"1": "s" * 40})
    response = app.test_client().get("/")

    assert response.headers["Strict-Transport-Security"] == (
        "max-age=63072000; includeSubDomains"
    )


def test_no_https_enforcement_in_development(make_app):
    """A developer on http://127.0.0.1 is not locked out by HSTS."""
    response = make_app(ENV="development").test_client().get("/")

    assert "Strict-Transport-Security" not in response.headers


def test_templates_hold_no_inline_scripts_styles_or_event_code():
    """The CSP forbids inline code, so no template may depend on it."""
    offenders = []
    for template in TEMPLATES:
        source = template.read_text(encoding="utf-8")
        name = template.relative_to(ROOT).as_posix()
        for attributes, body in SCRIPT_TAG.findall(source):
            if body.strip():
                offenders.append(f"{name}: inline <script>")
            if not re.search(r"""src=["']\{\{ url_for\('static'""", attributes):
                offenders.append(f"{name}: <script> not from /static/")
        if re.search(r"<style\b", source, re.I):
            offenders.append(f"{name}: <style>")
        if re.search(r"\sstyle\s*=", source, re.I):
            offenders.append(f"{name}: style= attribute")
        if re.search(r"\s(data-)?hx-on", source, re.I):
            offenders.append(f"{name}: hx-on")
        if re.search(r"\son[a-z]+\s*=", source, re.I):
            offenders.append(f"{name}: on* event attribute")
    assert TEMPLATES
    assert offenders == []


def test_scripts_load_from_our_static_files(client):
    """htmx and COPN's script come from /static/, never a CDN."""
    html = client.get("/").get_data(as_text=True)

    sources = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)
    assert sources
    assert all(source.startswith("/static/") for source in sources)
    for source in sources:
        with client.get(source) as response:
            assert response.status_code == 200
