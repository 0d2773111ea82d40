"""Network pages: the member organisations."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import get_locale

from copn.core import htmx
from copn.network import services
from copn.network.forms import OrganisationSearchForm

bp = Blueprint("network", __name__, url_prefix="/network")


@bp.get("/organisations")
def organisations() -> Response:
    """The member organisations of the network, searchable by name."""
    form = OrganisationSearchForm(request.args)
    if not form.validate():
        return htmx.render(
            "network/organisations.html",
            "network/_partials/_organisations.html",
            status=422,
            form=form,
            organisations=[],
        )
    found = services.search_organisations(form.q.data or "", str(get_locale()))
    return htmx.render(
        "network/organisations.html",
        "network/_partials/_organisations.html",
        form=form,
        organisations=found,
    )
