"""Signing in and out."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from copn.auth import services
from copn.auth.forms import SignInForm
from copn.auth.models import User
from copn.core.urls import safe_next_url
from copn.extensions import db, limiter, login_manager

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.sign_in"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    return db.session.scalar(db.select(User).filter_by(fs_uniquifier=identity))


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    from flask import request

    flash(_("Please sign in to continue."), "info")
    return redirect(url_for("auth.sign_in", next=request.full_path))


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> Response | str:
    """The sign-in form; on success, the page the user was going to."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))

    form = SignInForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/sign_in.html", form=form), status

    user = services.authenticate(form.email.data, form.password.data)
    if user is None:
        logger.warning("Failed sign-in attempt")
        form.password.errors.append(_("The email or password is not correct."))
        return render_template("auth/sign_in.html", form=form), 422

    login_user(user)
    db.session.commit()
    logger.info("User %r signed in", user.id)
    return redirect(safe_next_url(default=url_for("core.home")))


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out, on every device, and return to the home page."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
        logger.info("User %r signed out", current_user.id)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("core.home"))
