"""A person's own account: profile, two-factor status and sessions."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import auth_required

from copn.auth import services
from copn.core import audit, sessions
from copn.extensions import db

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.get("/account")
@auth_required()
def account() -> str:
    """The signed-in person's account: who they are, two-factor and sessions."""
    return render_template(
        "auth/account.html",
        sessions=services.active_sessions(current_user.id),
        current_sid_hash=sessions.current_sid_hash(),
    )


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
