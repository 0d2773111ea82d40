"""Administration pages: accounts and roles, and the audit log.

Only administrators reach them (``copn.core.access.POLICY``). Actions are POSTs
that call one service and commit once; a refused action re-renders its page with
the reason (409, or 422 for what was typed).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from copn.admin import services
from copn.admin.forms import (
    ActionForm,
    AuditFilterForm,
    NewUserForm,
    RoleForm,
    TwoFactorResetForm,
    UserSearchForm,
)
from copn.admin.services import Refused
from copn.auth.models import ROLE_CHANGE_PENDING, ROLE_NAMES, User
from copn.auth.services import role_label
from copn.core import htmx
from copn.extensions import db
from copn.network.models import Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "role_label": role_label,
        "status_label": lambda user: services.STATUS_LABELS[services.status_of(user)],
        "role_names": ROLE_NAMES,
        "as_json": lambda data: json.dumps(data or {}, ensure_ascii=False),
    }


def _user_or_404(user_id: int) -> User:
    user = services.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _organisation_choices(empty_label: str) -> list[tuple[str, str]]:
    locale = str(get_locale())
    organisations = services.current_organisations(locale)
    return [("", empty_label)] + [
        (str(org.id), org.name(locale)) for org in organisations
    ]


def _refuse_into(form: FlaskForm, error: Refused) -> bool:
    """Show ``error`` on its form field; False when it belongs to no field."""
    field = form._fields.get(error.field or "")
    if field is None:
        return False
    field.errors = [*field.errors, str(error)]
    return True


def _filters(form: FlaskForm, names: tuple[str, ...]) -> dict[str, Any]:
    """The non-empty filter values, as URL parameters for the next page."""
    values = {}
    for name in names:
        value = form[name].data
        if value not in (None, ""):
            values[name] = value.isoformat() if isinstance(value, date) else value
    return values


# --- Accounts --------------------------------------------------------------------


@bp.get("/users")
def users() -> Response:
    """Accounts, searchable by name or email, filtered by role and status."""
    form = UserSearchForm(request.args)
    valid = form.validate()
    found, next_before = [], None
    if valid:
        found, next_before = services.list_users(
            form.q.data or "",
            role=form.role.data or None,
            status=form.status.data or None,
            before=form.before.data,
        )
    return htmx.render(
        "admin/users.html",
        "admin/_partials/_users.html",
        status=200 if valid else 422,
        form=form,
        users=found,
        next_before=next_before,
        filters=_filters(form, ("q", "role", "status")),
        paged=form.before.data is not None,
        pending=services.pending_count(),
    )


def _new_user_page(form: NewUserForm, status: int = 200) -> Response:
    return make_response(render_template("admin/new_user.html", form=form), status)


@bp.get("/users/new")
def new_user() -> Response:
    """The form to create an account; the person chooses their password by mail."""
    form = NewUserForm()
    form.organisation_id.choices = _organisation_choices(_("None"))
    return _new_user_page(form)


@bp.post("/users")
def create_user() -> Response:
    """Create the account and mail the person a link to choose a password."""
    form = NewUserForm()
    form.organisation_id.choices = _organisation_choices(_("None"))
    if not form.validate():
        return _new_user_page(form, 422)

    try:
        user, changes = services.create_account(
            form.name.data,
            form.email.data,
            form.roles.data,
            form.organisation,
            form.locale.data,
            actor_id=current_user.id,
        )
    except Refused as error:
        db.session.rollback()
        if not _refuse_into(form, error):
            form.form_errors.append(str(error))
        return _new_user_page(form, 422)
    db.session.commit()

    flash(
        _(
            "Account created. %(name)s will get an email to choose a password.",
            name=user.name,
        ),
        "success",
    )
    if any(change.status == ROLE_CHANGE_PENDING for change in changes):
        flash(_("Coordinator and administrator roles wait for another administrator."))
    return redirect(url_for("admin.user", user_id=user.id), 303)


def _user_page(
    user: User,
    status: int = 200,
    error: str | None = None,
    grant: RoleForm | None = None,
    reset: TwoFactorResetForm | None = None,
) -> Response:
    if grant is None:
        grant = RoleForm(formdata=None)
        grant.organisation_id.choices = _organisation_choices(_("No change"))
    organisation = (
        db.session.get(Organisation, user.organisation_id)
        if user.organisation_id
        else None
    )
    body = render_template(
        "admin/user.html",
        user=user,
        error=error,
        organisation=organisation,
        changes=services.role_changes_of(user.id),
        grant=grant,
        reset=reset or TwoFactorResetForm(formdata=None),
        locale=str(get_locale()),
    )
    return make_response(body, status)


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> Response:
    """One account: its state, roles, two-factor and role history, with actions."""
    return _user_page(_user_or_404(user_id))


def _act(user: User, form: FlaskForm, action: Any) -> Response:
    """Run ``action`` if ``form`` validates and commit; it returns what to flash.

    A refusal re-renders the account page with the reason: on its form field
    (422) or above the page (409).
    """
    if not form.validate():
        return _user_page(user, 422, **_which(form))
    try:
        done = action()
    except Refused as error:
        db.session.rollback()
        if _refuse_into(form, error):
            return _user_page(user, 422, **_which(form))
        return _user_page(user, 409, error=str(error))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)


def _which(form: FlaskForm) -> dict[str, Any]:
    if isinstance(form, RoleForm):
        return {"grant": form}
    if isinstance(form, TwoFactorResetForm):
        return {"reset": form}
    return {}


@bp.post("/users/<int:user_id>/suspend")
def suspend_user(user_id: int) -> Response:
    """Suspend the account: it cannot sign in and its sessions end now."""
    user = _user_or_404(user_id)

    def suspend() -> str:
        services.suspend(user, current_user.id)
        return _("The account is suspended and signed out everywhere.")

    return _act(user, ActionForm(), suspend)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int) -> Response:
    """Let a suspended account sign in again."""
    user = _user_or_404(user_id)

    def reactivate() -> str:
        services.reactivate(user, current_user.id)
        return _("The account can sign in again.")

    return _act(user, ActionForm(), reactivate)


@bp.post("/users/<int:user_id>/roles/grant")
def grant_role(user_id: int) -> Response:
    """Grant a role, or ask another administrator to confirm coordinator/admin."""
    user = _user_or_404(user_id)
    form = RoleForm()
    form.organisation_id.choices = _organisation_choices(_("No change"))

    def grant() -> str:
        change = services.grant_role(
            user, form.role.data, current_user.id, form.organisation
        )
        if change.status == ROLE_CHANGE_PENDING:
            return _("The role will be granted once another administrator confirms.")
        return _("The role has been granted.")

    return _act(user, form, grant)


@bp.post("/users/<int:user_id>/roles/revoke")
def revoke_role(user_id: int) -> Response:
    """Take a role away at once."""
    user = _user_or_404(user_id)
    form = RoleForm()
    form.organisation_id.choices = []

    def revoke() -> str:
        services.revoke_role(user, form.role.data, current_user.id)
        return _("The role has been revoked.")

    return _act(user, form, revoke)


@bp.post("/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int) -> Response:
    """Switch off the person's two-factor after checking who they are."""
    user = _user_or_404(user_id)
    form = TwoFactorResetForm()

    def reset() -> str:
        services.reset_two_factor(user, form.note.data, current_user.id)
        return _(
            "Two-factor authentication is reset and the person is signed out. Staff "
            "will set it up again when they next sign in."
        )

    return _act(user, form, reset)


# --- Role changes waiting for a second administrator -----------------------------


def _role_changes_page(status: int = 200, error: str | None = None) -> Response:
    body = render_template(
        "admin/role_changes.html",
        changes=services.pending_role_changes(),
        limit=services.PENDING_LIMIT,
        error=error,
    )
    return make_response(body, status)


@bp.get("/role-changes")
def role_changes() -> Response:
    """Grants of coordinator and administrator waiting for a second administrator."""
    return _role_changes_page()


def _decide(change_id: int, decide: Any, done: str) -> Response:
    change = services.get_role_change(change_id)
    if change is None:
        abort(404)
    if not ActionForm().validate():
        abort(400)
    try:
        decide(change, current_user.id)
    except Refused as error:
        db.session.rollback()
        return _role_changes_page(409, str(error))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.role_changes"), 303)


@bp.post("/role-changes/<int:change_id>/confirm")
def confirm_role_change(change_id: int) -> Response:
    """Confirm another administrator's request: the role is granted."""
    return _decide(
        change_id, services.confirm_role_change, _("The role has been granted.")
    )


@bp.post("/role-changes/<int:change_id>/cancel")
def cancel_role_change(change_id: int) -> Response:
    """Cancel a request: the role is not granted."""
    return _decide(
        change_id, services.cancel_role_change, _("The request has been cancelled.")
    )


# --- The audit log ---------------------------------------------------------------

AUDIT_FILTERS = ("action", "actor", "object_type", "object_id", "date_from", "date_to")


def _audit_filters(form: AuditFilterForm) -> services.AuditFilters:
    return services.AuditFilters(
        action=form.action.data or "",
        actor=form.actor.data or "",
        object_type=form.object_type.data or "",
        object_id=form.object_id.data,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.get("/audit")
def audit() -> Response:
    """The audit log, newest first, filtered by action, actor, object and dates."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    rows, next_before = [], None
    if valid:
        rows, next_before = services.audit_page(
            _audit_filters(form), before=form.before.data
        )
    return htmx.render(
        "admin/audit.html",
        "admin/_partials/_audit.html",
        status=200 if valid else 422,
        form=form,
        rows=rows,
        next_before=next_before,
        filters=_filters(form, AUDIT_FILTERS),
        paged=form.before.data is not None,
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    """The audit entries matching the filters, as a CSV file for a spreadsheet."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400)
    filters = _audit_filters(form)
    services.record_audit_export(filters, current_user.id)
    db.session.commit()

    response = Response(
        stream_with_context(services.audit_csv(filters)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="copn-audit-{services.local_today().isoformat()}.csv"'
    )
    return response
