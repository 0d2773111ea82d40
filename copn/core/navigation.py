"""The navigation, by role. Areas add their entries when they land."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString
    # None: everyone, signed in or not; an empty tuple: anyone signed in.
    roles: tuple[str, ...] | None = None


NAV_ITEMS: list[NavItem] = [
    NavItem("core.home", _l("Home")),
    NavItem("network.organisations", _l("Member organisations")),
    NavItem("auth.account", _l("Your account"), roles=()),
    NavItem("admin.users", _l("Administration"), roles=("admin",)),
]


def visible_items() -> list[NavItem]:
    """The entries the current user may see, in order."""
    items = []
    for item in NAV_ITEMS:
        if item.roles is None:
            items.append(item)
        elif current_user.is_authenticated and (
            not item.roles or current_user.has_any_role(*item.roles)
        ):
            items.append(item)
    return items


def init_app(app: Flask) -> None:
    app.jinja_env.globals["navigation"] = visible_items
