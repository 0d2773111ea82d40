"""Form pieces of the accounts, shared by sign-up, the account page and the admin."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from copn.core.i18n import LANGUAGE_NAMES
from copn.core.text import nfc

TOO_LONG = _l("Please use at most %(max)d characters.")
UNUSUAL_CHARACTERS = _l(
    "Please type this again: it contains invisible or unusual characters."
)


def composed(value: str | None) -> str | None:
    """NFC and without surrounding spaces: keyboards send either form."""
    return nfc(value).strip() if value else value


def has_hidden_characters(text: str) -> bool:
    """Control or invisible characters, or a combining accent on another accent.

    In NFC every Vietnamese letter is one character, so text needs at most one
    combining accent after a letter; more are "stacked" accents.
    """
    after_mark = True  # an accent cannot start the text either
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return True
        is_mark = category in ("Mn", "Me")
        if is_mark and after_mark:
            return True
        after_mark = is_mark
    return False


def plain_text(message: LazyString = UNUSUAL_CHARACTERS) -> Any:
    """A validator refusing hidden characters, stacked accents, full-width letters."""

    def validate(form: Any, field: Field) -> None:
        text = field.data or ""
        if has_hidden_characters(text) or unicodedata.normalize("NFKC", text) != text:
            raise ValidationError(message)

    return validate


def full_name_field(required: LazyString | None = None) -> StringField:
    """A person's full name, as every form that asks for one takes it."""
    return StringField(
        _l("Full name"),
        filters=[composed],
        validators=[
            DataRequired(message=required or _l("Please enter your full name.")),
            Length(max=200, message=TOO_LONG),
            plain_text(
                _l(
                    "Please type your name again: it contains invisible or unusual "
                    "characters."
                )
            ),
        ],
    )


class AccountForm(FlaskForm):
    """A person's own name and language, as they correct them (PDPL)."""

    name = full_name_field()
    # Each language named in itself, so anyone can find their own.
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice(code, name, render_kw={"lang": code})
            for code, name in LANGUAGE_NAMES.items()
        ],
        validate_choice=True,
    )
