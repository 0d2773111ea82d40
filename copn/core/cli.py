"""``flask jobs`` (the RQ worker) and ``flask translations``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from copn import ROOT


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("worker")
@click.option("-q", "--queue", "queues", multiple=True, help="Queues to serve.")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option(
    "--simple", is_flag=True, help="Run jobs in this process instead of forking."
)
@with_appcontext
def worker(queues: tuple[str, ...], burst: bool, simple: bool) -> None:
    """Run an RQ worker with the app loaded once, before it forks."""
    from copn.core.queues import make_worker
    from copn.extensions import db

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The parent must hold no database connection that a forked child could share.
    db.session.remove()
    db.engine.dispose()
    try:
        rq_worker = make_worker(app, list(queues) or None, forking=not simple)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--queue'") from exc
    rq_worker.work(burst=burst, with_scheduler=True)


@click.group("translations")
def translations_cli() -> None:
    """Translation catalogues."""


def _pybabel(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *args],
        check=True,
        capture_output=True,
    )


def extract_messages(pot: Path) -> None:
    """Extract every translatable string of code and templates into ``pot``.

    Babel skips folders starting with "_" by default; the templates' ``_partials``
    folders must be read too, so only hidden folders and node_modules are skipped.
    """
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "--ignore-dirs",
        ".* node_modules",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        str(ROOT),
    )


@translations_cli.command("update")
def update() -> None:
    """Extract messages and merge them into the catalogues."""
    pot = ROOT / "copn" / "translations" / "messages.pot"
    extract_messages(pot)
    _pybabel(
        "update",
        "-i",
        str(pot),
        "-d",
        str(pot.parent),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )


@translations_cli.command("compile")
def compile_catalogues() -> None:
    """Compile the catalogues (.po to .mo): COPN's and Flask-Security's."""
    for domain in ("messages", "flask_security"):
        _pybabel("compile", "-D", domain, "-d", str(ROOT / "copn" / "translations"))
