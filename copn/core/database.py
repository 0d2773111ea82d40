"""Database settings that the engine URL cannot carry.

Imported by create_app for its side effect: SQLite connections get WAL, enforced
foreign keys and a busy timeout.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# Ids are 32-bit integers in the database: a larger one in a URL or form is nobody's
# (and PostgreSQL would refuse to compare with it).
MAX_ID = 2**31 - 1
