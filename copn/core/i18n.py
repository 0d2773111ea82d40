"""Language and time zone: Vietnamese first, English second, Vietnam time.

The language is the signed-in user's choice, else the one chosen in this session,
else Vietnamese. Browsers' Accept-Language is not consulted: many Vietnamese users
run English-language browsers and expect COPN in Vietnamese.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
SESSION_KEY = "locale"


def select_locale() -> str:
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Commands and jobs: mail passes its recipient's locale explicitly.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = getattr(current_user, "locale", None)
    if user_locale in languages:
        return user_locale
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    """Make the locale and language names available to every template."""
    app.jinja_env.globals.update(
        get_locale=get_locale,
        language_names=LANGUAGE_NAMES,
        languages=app.config["LANGUAGES"],
    )
