"""Logs an operator can follow: a request id and user id on every line, no secrets."""

from __future__ import annotations

import logging
import re

import pytest

from copn.core.access import POLICY, PUBLIC
from tests.conftest import TEST_PASSWORD

CONTEXT = "[req=%(request_id)s user=%(user_id)s] %(message)s"


class Capture(logging.Handler):
    """Formats each record as it is emitted, like any handler an operator adds."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(CONTEXT))
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.records.append(record)


@pytest.fixture
def capture():
    """A handler on the ``copn`` logger for the duration of the test."""
    handler = Capture()
    logger = logging.getLogger("copn")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _log_something() -> str:
    logging.getLogger("copn.test").info("Something %s happened", "harmless")
    return "ok"


@pytest.fixture
def logging_client(app, monkeypatch):
    """A client of an app with a page that writes one log line."""
    monkeypatch.setitem(POLICY, "log_something", PUBLIC)
    app.add_url_rule("/log-something", "log_something", _log_something)
    return app.test_client()


def test_records_in_a_request_carry_its_request_id_and_user_id(
    logging_client, make_user, capture
):
    """Each line names the request and the signed-in user, in every handler."""
    user = make_user("volunteer")
    logging_client.post(
        "/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD}
    )
    capture.lines.clear()

    response = logging_client.get(
        "/log-something", headers={"X-Request-ID": "edge-7f3a9c21"}
    )

    assert response.headers["X-Request-ID"] == "edge-7f3a9c21"
    assert f"[req=edge-7f3a9c21 user={user.id}] Something harmless happened" in (
        capture.lines
    )


def test_records_of_an_anonymous_request_carry_a_generated_id(logging_client, capture):
    """Without an incoming id, COPN makes one, logs it and returns it."""
    response = logging_client.get("/log-something")

    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert f"[req={request_id} user=-] Something harmless happened" in capture.lines


@pytest.mark.parametrize(
    "incoming", ["short", "x" * 65, "id with spaces", "<script>x</script>", "é" * 10]
)
def test_an_unusable_incoming_request_id_is_replaced(client, incoming):
    """A request id that could garble or forge log lines is not trusted."""
    response = client.get("/", headers={"X-Request-ID": incoming})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_console_shows_the_request_and_user_ids(logging_client, capture):
    """The console format configured by create_app prints both ids."""
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if handler.formatter and "request_id" in (handler.formatter._fmt or "")
    )

    logging_client.get("/log-something", headers={"X-Request-ID": "edge-00000002"})

    (record,) = [r for r in capture.records if r.name == "copn.test"]
    assert "[req=edge-00000002 user=-] Something harmless" in console.format(record)


def test_a_failed_sign_in_logs_no_email_or_password(client, make_user, capture):
    """Logs never hold the email or the password someone typed."""
    user = make_user("volunteer", email="lan.nguyen@example.org")

    response = client.post(
        "/auth/sign-in", data={"email": user.email, "password": "Bí mật 123456"}
    )

    assert response.status_code == 422
    logged = "\n".join(capture.lines)
    assert "Failed sign-in attempt" in logged
    assert "lan.nguyen" not in logged
    assert "Bí mật" not in logged
