"""Pages every visitor shares: home, language switch, health check."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_login import current_user
from sqlalchemy import text

from copn.core.i18n import SESSION_KEY
from copn.core.queues import redis_connection
from copn.core.urls import safe_next_url
from copn.extensions import db, limiter

logger = logging.getLogger(__name__)

bp = Blueprint("core", __name__)


@bp.get("/")
def home() -> str:
    """What COPN is and where to start."""
    return render_template("core/home.html")


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice that people accept when they create an account."""
    from copn.auth.security import PRIVACY_NOTICE_VERSION

    return render_template("core/privacy.html", version=PRIVACY_NOTICE_VERSION)


@bp.post("/language")
def set_language() -> Response:
    """Switch the language; remembered for this session and on the account."""
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session[SESSION_KEY] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(safe_next_url(default="/"))


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """Whether the database and Redis answer; no details beyond ok/unavailable."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(checks.values())
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    body["status"] = "ok" if healthy else "unavailable"
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        logger.exception("Health check: database unavailable")
        db.session.rollback()
        return False


def _redis_ok() -> bool:
    try:
        return bool(redis_connection().ping())
    except Exception:
        logger.warning("Health check: Redis unavailable", exc_info=True)
        return False
