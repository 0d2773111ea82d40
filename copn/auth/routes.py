"""A person's own account: profile, two-factor status, sessions, activity, data."""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh, to_user_timezone
from flask_login import current_user
from flask_security import auth_required

from copn.auth import services
from copn.auth.forms import AccountForm
from copn.core import audit, htmx, sessions
from copn.core.clock import utcnow
from copn.core.i18n import SESSION_KEY
from copn.extensions import db

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.get("/account")
@auth_required()
def account() -> str:
    """The signed-in person's account: who they are, consents, two-factor, sessions."""
    form = AccountForm(name=current_user.name, locale=current_user.locale)
    return render_template("auth/account.html", **_account_context(form))


@bp.post("/account")
@auth_required()
def update_account() -> Response | tuple[str, int]:
    """Correct one's own name and language; the form comes back with errors if not."""
    form = AccountForm()
    if not form.validate():
        return render_template("auth/account.html", **_account_context(form)), 422

    services.update_account(current_user, form.name.data, form.locale.data)
    session[SESSION_KEY] = form.locale.data
    db.session.commit()
    refresh()  # the message below in the language just chosen
    flash(_("Your account details have been saved."), "success")
    return redirect(url_for("auth.account"))


def _account_context(form: AccountForm) -> dict[str, Any]:
    return {
        "form": form,
        "organisation": services.organisation_of(current_user),
        "roles": [
            services.role_label(name) for name in sorted(current_user.role_names)
        ],
        "consents": services.consents(current_user.id),
        "consent_label": services.consent_label,
        "sessions": services.active_sessions(current_user.id),
        "current_sid_hash": sessions.current_sid_hash(),
    }


@bp.post("/account/sessions/end-others")
@auth_required()
def end_other_sessions() -> Response:
    """End every session of this account except the one making the request."""
    ended = sessions.end_sessions(current_user.id, keep_sid=sessions.current_sid())
    audit.record(
        "auth.sessions_ended", "user", current_user.id, actor_id=current_user.id
    )
    db.session.commit()
    logger.info("User %r ended %d other session(s)", current_user.id, ended)
    flash(_("Your other sessions have been ended."), "success")
    return redirect(url_for("auth.account"))


@bp.get("/account/activity")
@auth_required()
def activity() -> Response:
    """What happened on one's account, newest first; htmx gets the next entries."""
    before = request.args.get("before", type=int)
    events, more = services.activity(current_user.id, before=before)
    response = htmx.render(
        "auth/activity.html",
        "auth/_partials/_activity.html",
        events=events,
        more=more,
        before=before,
        user_id=current_user.id,
        action_label=services.action_label,
        shows_address=services.shows_address,
    )
    response.headers["Cache-Control"] = "no-store"  # addresses, on shared computers
    return response


@bp.get("/account/data.json")
@auth_required()
def data_json() -> Response:
    """Everything COPN holds about the signed-in person, as a JSON file."""
    data = services.personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)

    services.record_export(current_user.id, "json")
    db.session.commit()
    return _download(body.encode(), "json", "application/json; charset=utf-8")


@bp.get("/account/data.csv")
@auth_required()
def data_csv() -> Response:
    """Everything COPN holds about the signed-in person, as one CSV file."""
    data = services.personal_data(current_user)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["section", "field", "value"])
    for section, field, value in services.personal_data_rows(data):
        writer.writerow([section, field, _inert(value)])

    services.record_export(current_user.id, "csv")
    db.session.commit()
    # The byte order mark makes spreadsheet programs read the file as UTF-8.
    body = codecs.BOM_UTF8 + text.getvalue().encode()
    return _download(body, "csv", "text/csv; charset=utf-8")


def _inert(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (a leading quote is added)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _download(body: bytes, extension: str, mimetype: str) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    filename = f"copn-data-{to_user_timezone(utcnow()).date()}.{extension}"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response
