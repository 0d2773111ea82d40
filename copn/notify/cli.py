"""``flask notify``: the outbox relay and a test mail for operators."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from copn.extensions import db

logger = logging.getLogger(__name__)


@click.group("notify")
def notify_cli() -> None:
    """Mail and notifications."""


@notify_cli.command("relay")
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@click.option("--interval", type=float, default=None, help="Seconds between passes.")
@with_appcontext
def relay(once: bool, interval: float | None) -> None:
    """Hand pending outbox messages to the mail queue, surviving Redis outages."""
    from copn.notify.services import relay_once

    pause = interval or current_app.config["OUTBOX_RELAY_INTERVAL"]
    while True:
        try:
            count = relay_once()
        except Exception:
            # The database or Redis may be down for a while: keep trying.
            logger.exception("Outbox relay pass failed")
            db.session.rollback()
            count = 0
        finally:
            db.session.remove()
        if once:
            click.echo(f"{count} message(s) handed to the mail queue")
            return
        time.sleep(pause)


@notify_cli.command("send-test-mail")
@click.argument("recipient")
@click.option("--locale", type=click.Choice(["vi", "en"]), default="vi")
@with_appcontext
def send_test_mail(recipient: str, locale: str) -> None:
    """Queue a test mail to RECIPIENT through the outbox, to check the mail setup."""
    from copn.core import audit
    from copn.notify.services import queue_email

    message = queue_email(
        recipient,
        "test_mail",
        {"base_url": current_app.config["BASE_URL"]},
        locale=locale,
    )
    audit.record("mail.test_queued", "outbox_message", message.id)
    db.session.commit()
    logger.info("Test mail %r queued", message.id)
    click.echo(f"Test mail queued as outbox message {message.id}.")
