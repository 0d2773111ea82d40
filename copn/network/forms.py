from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length, Optional


class OrganisationSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        _l("Search by name"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Please use at most %(max)d characters.")),
        ],
    )
