"""The access policy covers every route and is enforced for every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from copn.auth.models import ROLE_NAMES
from copn.core.access import POLICY, PUBLIC

# Values for URL parameters: the walk checks access decisions, not the objects.
PARAMETERS = {
    "token": "not-a-token",
    "filename": "css/copn.css",
    "path": "x",
    "user_id": 1,
    "change_id": 1,
}
# Routes whose use changes who is signed in; walked last. Flask-Security's sign-in
# steps may also end a sign-in they find no trace of, so public routes come after
# the ones that need a signed-in user.
SIGNING_OUT = {"security.logout"}
PRINCIPALS = ["anonymous", *ROLE_NAMES]


def _walk(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        method = "GET" if "GET" in rule.methods else "POST"
        url = rule.build({name: PARAMETERS[name] for name in rule.arguments})[1]
        routes.append((rule.endpoint, method, url))
    return sorted(
        routes,
        key=lambda route: (
            route[0] in SIGNING_OUT,
            not POLICY.get(route[0], PUBLIC).signed_in,
            route[0],
        ),
    )


def test_every_route_is_in_the_policy(app: Flask):
    """A route nobody declared access for fails here, before anyone can use it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - POLICY.keys() == set()
    assert POLICY.keys() - endpoints == set(), "the policy names routes that are gone"


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_route_answers_as_the_policy_says(
    make_app: Callable[..., Flask],
    make_user: Callable[..., Any],
    sign_in: Callable[..., Any],
    principal: str,
    htmx: bool,
):
    """Each role, and a visitor, gets in exactly where the policy lets them."""
    app = make_app()
    client = app.test_client()
    someone = Principal(principal)
    if principal != "anonymous":
        with app.app_context():
            sign_in(make_user(principal), on=client)
    headers = {"HX-Request": "true"} if htmx else {}

    wrong = []
    for endpoint, method, url in _walk(app):
        response = client.open(url, method=method, headers=headers, buffered=True)
        response.close()
        status = response.status_code
        sent_to_sign_in = any(
            response.headers.get(name, "").startswith("/auth/sign-in")
            for name in ("Location", "HX-Redirect")
        )
        rule = POLICY[endpoint]
        if rule.allows(someone):
            # Flask-Security's public sign-in steps may send anyone back to the first
            # step; a route that needs a signed-in user must not.
            if status in (401, 403) or (sent_to_sign_in and rule.signed_in):
                wrong.append((endpoint, "refused", status))
        elif not someone.is_authenticated:
            if status != (401 if htmx else 302) or not sent_to_sign_in:
                wrong.append((endpoint, "not sent to sign in", status))
        elif status != 403:
            wrong.append((endpoint, "not refused", status))
    assert wrong == []


class Principal:
    """Who walks the routes: a visitor or the holder of one role."""

    def __init__(self, role: str) -> None:
        self.is_authenticated = role != "anonymous"
        self.role = role

    def has_any_role(self, *names: str) -> bool:
        return self.role in names
