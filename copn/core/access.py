"""The access policy: who may use each route, declared in one place, enforced once.

Every endpoint of the URL map must appear in ``POLICY``; one that does not is
refused for everybody (and fails the test that walks the URL map). Rules say who may
reach a view; views that show one object still check that object (a volunteer's own
record, a member's own organisation's cases) through their area's services.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, redirect, request, url_for
from flask_login import current_user

from copn.core.errors import render_error
from copn.core.htmx import wants_fragment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """Who may use a route: anyone, anyone signed in, or holders of some roles."""

    signed_in: bool = False
    roles: frozenset[str] = frozenset()

    def allows(self, user: object) -> bool:
        if not self.signed_in:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        return not self.roles or user.has_any_role(*self.roles)  # type: ignore[attr-defined]


PUBLIC = Rule()
SIGNED_IN = Rule(signed_in=True)


def roles(*names: str) -> Rule:
    return Rule(signed_in=True, roles=frozenset(names))


POLICY: dict[str, Rule] = {
    "static": PUBLIC,
    "core.home": PUBLIC,
    "core.healthz": PUBLIC,
    "core.set_language": PUBLIC,
    "core.privacy": PUBLIC,
    "network.organisations": PUBLIC,
    # A person's own account.
    "auth.account": SIGNED_IN,
    "auth.end_other_sessions": SIGNED_IN,
    "auth.update_account": SIGNED_IN,
    "auth.activity": SIGNED_IN,
    "auth.data_json": SIGNED_IN,
    "auth.data_csv": SIGNED_IN,
    # Administration.
    "admin.users": roles("admin"),
    "admin.new_user": roles("admin"),
    "admin.create_user": roles("admin"),
    "admin.user": roles("admin"),
    "admin.suspend_user": roles("admin"),
    "admin.reactivate_user": roles("admin"),
    "admin.grant_role": roles("admin"),
    "admin.revoke_role": roles("admin"),
    "admin.reset_two_factor": roles("admin"),
    "admin.role_changes": roles("admin"),
    "admin.confirm_role_change": roles("admin"),
    "admin.cancel_role_change": roles("admin"),
    "admin.audit": roles("admin"),
    "admin.audit_csv": roles("admin"),
    # Flask-Security's views. The sign-in steps (password, then two-factor setup or
    # code, recovery) are public: Flask-Security checks the state of the sign-in
    # in progress itself.
    "security.static": PUBLIC,
    "security.login": PUBLIC,
    "security.logout": PUBLIC,
    "security.register": PUBLIC,
    "security.confirm_email": PUBLIC,
    "security.send_confirmation": PUBLIC,
    "security.forgot_password": PUBLIC,
    "security.reset_password": PUBLIC,
    "security.two_factor_setup": PUBLIC,
    "security.two_factor_setup_validate": PUBLIC,
    "security.two_factor_token_validation": PUBLIC,
    "security.two_factor_rescue": PUBLIC,
    "security.tf_select": PUBLIC,
    "security.mf_recovery": PUBLIC,
    "security.change_password": SIGNED_IN,
    "security.mf_recovery_codes": SIGNED_IN,
    "security.verify": SIGNED_IN,
}


def enforce() -> Response | None:
    """Refuse the request unless the policy lets the current user use the route."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 handler answers
        return None
    rule = POLICY.get(endpoint)
    if rule is None:
        logger.error("Route %r is missing from the access policy", endpoint)
        return render_error(403)
    if rule.allows(current_user):
        return None

    if not current_user.is_authenticated:
        target = url_for("security.login", next=request.full_path.rstrip("?"))
        if wants_fragment():
            response = render_error(401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)

    logger.warning("Access to %r refused for user %r", endpoint, current_user.id)
    return render_error(403)


def init_app(app: Flask) -> None:
    app.before_request(enforce)
