"""SQL statements per request, counted in-process with the COPN test client."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event


def count_queries(app: Flask, path: str) -> tuple[int, int]:
    """GET ``path`` three times with one client; the statements of the last, its status.

    The first two requests settle the session (its cookie, then Flask-Login's mark
    in it), so the last is a returning visitor, like the load generator's clients.
    """
    from copn.extensions import db

    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    client = app.test_client()
    client.get(path)
    client.get(path)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements), response.status_code
