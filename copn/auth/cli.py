"""``flask auth``: accounts from the command line (the first administrator)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from copn.auth.models import ROLE_NAMES, User
from copn.auth.services import create_user, normalise_email
from copn.core import audit
from copn.extensions import db


@click.group("auth")
def auth_cli() -> None:
    """Accounts and roles."""


@auth_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="A role to grant; repeat for several.",
)
@click.password_option(
    help="Asked for when not given; checked like any password in COPN."
)
@with_appcontext
def create_user_command(
    email: str, name: str, roles: tuple[str, ...], password: str
) -> None:
    """Create a confirmed account, e.g. the first administrator.

    Staff roles (admin included) must set up two-factor at their first sign-in.
    """
    from copn.auth.security import security

    address = normalise_email(email)
    if db.session.scalar(select(User).where(User.email == address)):
        raise click.ClickException(f"An account with {address} exists already.")
    problems, _ = security.password_util.validate(
        password, True, email=address, name=name
    )
    if problems:
        raise click.ClickException(" ".join(str(p) for p in problems))

    user = create_user(address, name, password, list(roles))
    audit.record("auth.user_created", "user", user.id, roles=sorted(roles), via="cli")
    db.session.commit()
    click.echo(f"Account {user.id} created for {address} with {', '.join(roles)}.")


@auth_cli.command("purge-sessions")
@with_appcontext
def purge_sessions() -> None:
    """Delete the sessions that have ended (run it hourly, e.g. from a timer)."""
    from copn.core.sessions import purge_expired

    count = purge_expired()
    db.session.commit()
    click.echo(f"{count} ended session(s) removed.")
