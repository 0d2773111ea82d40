from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length


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
