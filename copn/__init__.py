"""COPN, the intranet of the Child Online Protection Network."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from copn import config as default_config

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot be used to start COPN."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the COPN application: config, logging, extensions, blueprints, CLI."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "COPN_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _load_config(app, test_config)

    from copn.core import logs

    logs.configure(app)

    _init_extensions(app)
    _import_models()
    _register_blueprints(app)
    _register_cli(app)
    return app


def _load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    try:
        app.config.update(default_config.from_environment())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if test_config:
        app.config.update(test_config)

    env = app.config["ENV"]
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"COPN_ENV must be development, production or testing: {env}")
    app.testing = env == "testing"

    secret = app.config.get("SECRET_KEY")
    if not secret or len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY is missing or shorter than 32 characters. Set COPN_SECRET_KEY, "
            "or run scripts/start once to write a random one to instance/config.py."
        )

    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        sqlite_path = Path(app.instance_path) / "copn.sqlite3"
        app.config["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if env == "development":
        # Plain HTTP on loopback; production keeps the secure cookie.
        app.config["SESSION_COOKIE_SECURE"] = False


def _init_extensions(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from copn.auth import security as accounts
    from copn.core import (  # noqa: F401 - database registers the SQLite settings
        access,
        database,
        errors,
        headers,
        htmx,
        i18n,
        navigation,
    )
    from copn.extensions import babel, csrf, db, limiter, migrate

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(ROOT / "copn" / "translations"),
    )
    csrf.init_app(app)
    limiter.init_app(app)

    i18n.init_app(app)
    navigation.init_app(app)
    htmx.init_app(app)
    accounts.init_app(app)
    access.init_app(app)
    headers.init_app(app)
    errors.init_app(app)


def _import_models() -> None:
    """Import every model module so the metadata (and Alembic) sees all tables."""
    import copn.auth.models
    import copn.core.models
    import copn.network.models
    import copn.notify.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from copn.admin.routes import bp as admin_bp
    from copn.auth.routes import bp as auth_bp
    from copn.core.routes import bp as core_bp
    from copn.network.routes import bp as network_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(network_bp)


def _register_cli(app: Flask) -> None:
    from copn.auth.cli import auth_cli
    from copn.core.cli import jobs_cli, translations_cli
    from copn.demo.cli import demo_cli
    from copn.notify.cli import notify_cli

    app.cli.add_command(auth_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(translations_cli)
