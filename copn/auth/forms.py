from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from copn.auth.security import _plain_name
from copn.core.i18n import LANGUAGE_NAMES
from copn.core.text import nfc


def strip(value: str | None) -> str | None:
    """Drop the spaces that phone keyboards add after an autocompleted word."""
    return value.strip() if value else value


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Email(message=_l("Please enter a valid email address.")),
            Length(max=254),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Please enter your password.")),
            Length(max=1024),
        ],
    )


def composed(value: str | None) -> str | None:
    """NFC and without surrounding spaces, as the sign-up form takes a name."""
    return nfc(value).strip() if value else value


class AccountForm(FlaskForm):
    """A person's own name and language, as they correct them (PDPL)."""

    name = StringField(
        _l("Full name"),
        filters=[composed],
        validators=[
            DataRequired(message=_l("Please enter your full name.")),
            Length(max=200, message=_l("Please use at most %(max)d characters.")),
            _plain_name,
        ],
    )
    # Each language named in itself, so anyone can find their own.
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice(code, name, render_kw={"lang": code})
            for code, name in LANGUAGE_NAMES.items()
        ],
        validate_choice=True,
    )
