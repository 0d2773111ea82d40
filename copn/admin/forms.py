"""Forms of the administration pages.

Choices are checked with ``AnyOf`` and COPN's own messages (WTForms has no
Vietnamese catalogue); numbers and dates have their own messages for the same
reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    Field,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from copn.admin.services import STATUS_LABELS, STATUSES
from copn.auth.forms import TOO_LONG, composed, full_name_field, plain_text
from copn.auth.models import ROLE_NAMES
from copn.auth.services import ROLE_LABELS
from copn.core.database import MAX_ID
from copn.core.i18n import LANGUAGE_NAMES

NOT_A_ROLE = _l("Please choose one of the roles listed.")


def role_choices() -> list[tuple[str, Any]]:
    return [(name, ROLE_LABELS[name]) for name in ROLE_NAMES]


class IdField(IntegerField):
    """A positive id; anything else is refused with COPN's message."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip()
        digits = text.isascii() and text.isdigit() and len(text) <= 10
        if not digits or not 0 < int(text) <= MAX_ID:
            self.data = None
            raise ValueError(_l("Please enter a whole number from 1."))
        self.data = int(text)


class DayField(DateField):
    """A date as YYYY-MM-DD (what a browser's date input sends)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        try:
            self.data = date.fromisoformat(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Please enter a date as year-month-day, e.g. 2026-12-31.")
            ) from None


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Name or email"),
        filters=[composed],
        validators=[Optional(), Length(max=100, message=TOO_LONG)],
    )
    role = SelectField(
        _l("Role"),
        choices=[("", _l("All roles")), *role_choices()],
        validate_choice=False,
        validators=[Optional(), AnyOf(ROLE_NAMES, message=NOT_A_ROLE)],
    )
    status = SelectField(
        _l("Status"),
        choices=[("", _l("Any status")), *STATUS_LABELS.items()],
        validate_choice=False,
        validators=[
            Optional(),
            AnyOf(STATUSES, message=_l("Please choose one of the statuses listed.")),
        ],
    )
    # Read from the "next page" link; the form itself does not send it.
    before = IdField()


def _valid_email(form: Any, field: Field) -> None:
    """The address as sign-up checks it: valid, plain ASCII, in lower case."""
    mail_util = current_app.extensions["security"].mail_util
    try:
        field.data = mail_util.validate(field.data or "")
    except ValueError:
        raise ValidationError(_l("Please enter a valid email address.")) from None


class OrganisationChoice:
    """The member organisation chosen on a form (choices are set by the route)."""

    organisation_id: SelectField

    def validate_organisation_id(self, field: Field) -> None:
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Please choose a current member organisation."))

    @property
    def organisation(self) -> int | None:
        return int(self.organisation_id.data) if self.organisation_id.data else None


class NewUserForm(OrganisationChoice, FlaskForm):
    name = full_name_field(required=_l("Please enter the person's full name."))
    email = EmailField(
        _l("Email"),
        filters=[composed],
        validators=[
            DataRequired(message=_l("Please enter an email address.")),
            Length(max=254, message=TOO_LONG),
            _valid_email,
        ],
    )
    roles = SelectMultipleField(
        _l("Roles"),
        choices=role_choices(),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    organisation_id = SelectField(
        _l("Member organisation"),
        choices=[],
        validate_choice=False,
    )
    locale = SelectField(
        _l("Language of their mail"),
        choices=list(LANGUAGE_NAMES.items()),
        default="vi",
        validate_choice=False,
        validators=[
            AnyOf(
                list(LANGUAGE_NAMES),
                message=_l("Please choose one of the languages listed."),
            )
        ],
    )

    def validate_roles(self, field: Field) -> None:
        # Not DataRequired: it would mark every checkbox "required" in the page.
        if not field.data:
            raise ValidationError(_l("Please choose at least one role."))
        if not set(field.data) <= set(ROLE_NAMES):
            raise ValidationError(NOT_A_ROLE)


class RoleForm(OrganisationChoice, FlaskForm):
    """Grant or revoke one role; a grant may set the person's organisation."""

    role = SelectField(
        _l("Role"),
        choices=role_choices(),
        validate_choice=False,
        validators=[
            DataRequired(message=NOT_A_ROLE),
            AnyOf(ROLE_NAMES, message=NOT_A_ROLE),
        ],
    )
    organisation_id = SelectField(
        _l("Member organisation"), choices=[], validate_choice=False
    )


class TwoFactorResetForm(FlaskForm):
    note = TextAreaField(
        _l("How you checked who they are"),
        filters=[composed],
        validators=[
            DataRequired(
                message=_l("Please say how you checked that the request is theirs.")
            ),
            Length(
                min=10,
                max=500,
                message=_l("Please write between %(min)d and %(max)d characters."),
            ),
            plain_text(),
        ],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = StringField(
        _l("Action"),
        filters=[composed],
        validators=[Optional(), Length(max=80, message=TOO_LONG)],
    )
    actor = StringField(
        _l("Done by (account id or email)"),
        filters=[composed],
        validators=[Optional(), Length(max=254, message=TOO_LONG)],
    )
    object_type = StringField(
        _l("Object type"),
        filters=[composed],
        validators=[Optional(), Length(max=40, message=TOO_LONG)],
    )
    object_id = IdField(_l("Object id"))
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])
    before = IdField()

    def validate_date_to(self, field: Field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start."))
